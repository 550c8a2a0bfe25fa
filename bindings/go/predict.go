package digitinfer

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"image"
	"math"
	"runtime"
	"sort"
)

// Prediction is the result for one image.
type Prediction struct {
	Digit            int       // index of the most probable class
	Label            string    // its label, e.g. "7"
	Probability      float32   // its probability, in [0, 1]
	Probabilities    []float32 // one per class
	LogProbabilities []float32 // one per class, natural log
	labels           []string
}

// Class is one class of a prediction, as TopK lists them.
type Class struct {
	Index       int
	Label       string
	Probability float32
}

// TopK returns the k most probable classes, most probable first (ties: lower
// index first). k is capped at the number of classes.
func (p Prediction) TopK(k int) []Class {
	order := make([]int, len(p.Probabilities))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return p.Probabilities[order[a]] > p.Probabilities[order[b]] })
	if k > len(order) {
		k = len(order)
	}
	if k < 0 {
		k = 0
	}
	top := make([]Class, k)
	for i := range top {
		c := order[i]
		top[i] = Class{Index: c, Probability: p.Probabilities[c]}
		if c < len(p.labels) {
			top[i].Label = p.labels[c]
		}
	}
	return top
}

// outputs holds a call's C output arrays, in Go memory the C call writes into.
type outputs struct {
	predictions []C.di_prediction
	scores      []float32 // probabilities rows, then log-probabilities rows
	classes     int
}

func (m *Model) newOutputs(count int) *outputs {
	k := m.info.NumClasses
	return &outputs{predictions: make([]C.di_prediction, count), scores: make([]float32, 2*count*k), classes: k}
}

// args returns the predictions, probabilities, log-probabilities and capacity arguments of a shim call.
func (o *outputs) args() (*C.di_prediction, *C.float, *C.float, C.size_t) {
	if len(o.predictions) == 0 {
		return nil, nil, nil, 0
	}
	half := len(o.scores) / 2
	return &o.predictions[0], (*C.float)(&o.scores[0]), (*C.float)(&o.scores[half]), C.size_t(half)
}

func (m *Model) results(o *outputs) []Prediction {
	half := len(o.scores) / 2
	out := make([]Prediction, len(o.predictions))
	for i, p := range o.predictions {
		a, b := i*o.classes, (i+1)*o.classes
		out[i] = Prediction{
			Digit:            int(p.class_index),
			Probability:      float32(p.probability),
			Probabilities:    o.scores[a:b:b],
			LogProbabilities: o.scores[half+a : half+b : half+b],
			labels:           m.labels,
		}
		if d := out[i].Digit; d >= 0 && d < len(m.labels) {
			out[i].Label = m.labels[d]
		}
	}
	return out
}

// shimCall is one predict call of the shim on the model, writing to the given outputs; it sets
// msg when it fails.
type shimCall func(model *C.di_model, p *C.di_prediction, probs, logp *C.float, capacity C.size_t,
	msg **C.char) C.di_status

// predict runs call for count images under the read lock (so Close waits for it) and returns
// their results.
func (m *Model) predict(count int, call shimCall) ([]Prediction, error) {
	ptr, err := m.acquire()
	if err != nil {
		return nil, err
	}
	defer m.mu.RUnlock()
	o := m.newOutputs(count)
	p, probs, logp, capacity := o.args()
	var msg *C.char
	if err := check(call(ptr, p, probs, logp, capacity, &msg), msg); err != nil {
		return nil, err
	}
	return m.results(o), nil
}

// noImages is a batch call's answer for zero images: none, unless the model is closed.
func (m *Model) noImages() ([]Prediction, error) {
	if _, err := m.acquire(); err != nil {
		return nil, err
	}
	m.mu.RUnlock()
	return []Prediction{}, nil
}

func checkCount(count int) error {
	if count > MaxBatch {
		return newError(ErrInvalidArgument, fmt.Sprintf("%d images in one call: more than MaxBatch (%d)", count, MaxBatch))
	}
	return nil
}

// Predict classifies one encoded image file in memory (PNG, JPEG, BMP, GIF,
// PGM/PPM, TGA).
func (m *Model) Predict(encoded []byte) (Prediction, error) {
	r, err := m.predict(1, func(ptr *C.di_model, p *C.di_prediction, probs, logp *C.float, capacity C.size_t,
		msg **C.char) C.di_status {
		return C.go_di_predict_encoded(ptr, bytesPtr(encoded), C.size_t(len(encoded)), p, probs, logp, capacity, msg)
	})
	if err != nil {
		return Prediction{}, err
	}
	return r[0], nil
}

// PredictFile classifies the image file at path. A path that is not a
// regular file fails with ErrIO, a file larger than the model's
// MaxEncodedBytes with ErrDecode, without being read.
func (m *Model) PredictFile(path string) (Prediction, error) {
	data, err := readImageFile(path, m.info.MaxEncodedBytes)
	if err != nil {
		return Prediction{}, err
	}
	return m.Predict(data)
}

// PredictBatch classifies encoded images in one batched forward pass, using
// the model's threads. The first bad image fails the whole call. An empty
// batch gives no predictions.
func (m *Model) PredictBatch(images [][]byte) ([]Prediction, error) {
	if err := checkCount(len(images)); err != nil {
		return nil, err
	}
	var pinner runtime.Pinner // the C array holds pointers to the images' bytes
	defer pinner.Unpin()
	cimages := make([]C.di_encoded_image, len(images))
	for i, b := range images {
		if len(b) > 0 {
			pinner.Pin(&b[0])
		}
		cimages[i] = C.di_encoded_image{data: bytesPtr(b), size: C.size_t(len(b))}
	}
	if len(images) == 0 {
		return m.noImages()
	}
	return m.predict(len(images), func(ptr *C.di_model, p *C.di_prediction, probs, logp *C.float, capacity C.size_t,
		msg **C.char) C.di_status {
		return C.go_di_predict_encoded_batch(ptr, &cimages[0], C.size_t(len(images)), p, probs, logp, capacity, msg)
	})
}

// PredictGray classifies a raw 8-bit grayscale image of any size (0 = black);
// it is resized like a decoded one. Its Stride may exceed its width.
func (m *Model) PredictGray(img *image.Gray) (Prediction, error) {
	g, gerr := grayImage(img, nil)
	if gerr != nil {
		return Prediction{}, gerr
	}
	r, err := m.predict(1, func(ptr *C.di_model, p *C.di_prediction, probs, logp *C.float, capacity C.size_t,
		msg **C.char) C.di_status {
		return C.go_di_predict_gray(ptr, g.pixels, g.width, g.height, g.stride, p, probs, logp, capacity, msg)
	})
	if err != nil {
		return Prediction{}, err
	}
	return r[0], nil
}

// PredictGrayBatch classifies raw grayscale images in one batched forward pass.
func (m *Model) PredictGrayBatch(images []*image.Gray) ([]Prediction, error) {
	if err := checkCount(len(images)); err != nil {
		return nil, err
	}
	var pinner runtime.Pinner // the C array holds pointers to the images' pixels
	defer pinner.Unpin()
	cimages := make([]C.di_gray_image, len(images))
	for i, img := range images {
		g, err := grayImage(img, &pinner)
		if err != nil {
			return nil, newError(err.Code, fmt.Sprintf("image %d: %s", i, err.Message))
		}
		cimages[i] = C.di_gray_image{pixels: g.pixels, width: g.width, height: g.height, stride: g.stride}
	}
	if len(images) == 0 {
		return m.noImages()
	}
	return m.predict(len(images), func(ptr *C.di_model, p *C.di_prediction, probs, logp *C.float, capacity C.size_t,
		msg **C.char) C.di_status {
		return C.go_di_predict_gray_batch(ptr, &cimages[0], C.size_t(len(images)), p, probs, logp, capacity, msg)
	})
}

// PredictTensor classifies already-normalized float32 tensors: any number of
// images of InputChannels x InputHeight x InputWidth floats each, back to
// back, in C order (what Preprocess returns). Its length must be a nonzero
// multiple of that size.
func (m *Model) PredictTensor(tensor []float32) ([]Prediction, error) {
	size := m.info.InputChannels * m.info.InputHeight * m.info.InputWidth
	count := len(tensor) / size
	if len(tensor)%size != 0 {
		count++ // so that the library sees the mismatch and says so
	}
	if err := checkCount(count); err != nil {
		return nil, err
	}
	var data *C.float
	if len(tensor) > 0 {
		data = (*C.float)(&tensor[0])
	}
	return m.predict(count, func(ptr *C.di_model, p *C.di_prediction, probs, logp *C.float, capacity C.size_t,
		msg **C.char) C.di_status {
		return C.go_di_predict_tensor(ptr, data, C.size_t(len(tensor)), C.size_t(count), p, probs, logp, capacity, msg)
	})
}

// Preprocess runs only the preprocessing of an encoded image: it returns the
// decoded, grayscale, resized InputHeight x InputWidth image, and the
// normalized tensor the model would see (PredictTensor's input).
func (m *Model) Preprocess(encoded []byte) (*image.Gray, []float32, error) {
	ptr, err := m.acquire()
	if err != nil {
		return nil, nil, err
	}
	defer m.mu.RUnlock()
	h, w := m.info.InputHeight, m.info.InputWidth
	img := image.NewGray(image.Rect(0, 0, w, h))
	tensor := make([]float32, m.info.InputChannels*h*w)
	var msg *C.char
	status := C.go_di_preprocess_encoded(ptr, bytesPtr(encoded), C.size_t(len(encoded)),
		(*C.uint8_t)(&img.Pix[0]), C.size_t(len(img.Pix)), (*C.float)(&tensor[0]), C.size_t(len(tensor)), &msg)
	if err := check(status, msg); err != nil {
		return nil, nil, err
	}
	return img, tensor, nil
}

// cgray is an image.Gray's geometry as the C API takes it.
type cgray struct {
	pixels        *C.uint8_t
	width, height C.int32_t
	stride        C.size_t
}

// grayImage checks that img's Pix holds every pixel of its bounds (the C side
// cannot know the slice's length) and pins Pix if pinner is not nil. Other
// bad geometry (an empty image, a stride below the width) is left for the
// library to refuse.
func grayImage(img *image.Gray, pinner *runtime.Pinner) (cgray, *Error) {
	if img == nil {
		return cgray{}, newError(ErrInvalidArgument, "nil image")
	}
	w, h, stride := img.Rect.Dx(), img.Rect.Dy(), img.Stride
	if w > math.MaxInt32 || h > math.MaxInt32 || stride < 0 {
		return cgray{}, newError(ErrInvalidArgument, fmt.Sprintf("image geometry out of range: %dx%d, stride %d", w, h, stride))
	}
	if w > 0 && h > 0 && stride >= w {
		// The pixels of the bounds span stride*(h-1)+w bytes; written without overflow.
		if n := len(img.Pix); w > n || (h > 1 && stride > (n-w)/(h-1)) {
			return cgray{}, newError(ErrInvalidArgument,
				fmt.Sprintf("image.Gray has %d bytes of pixels, too few for %dx%d with stride %d", n, w, h, stride))
		}
	}
	g := cgray{width: C.int32_t(max(w, 0)), height: C.int32_t(max(h, 0)), stride: C.size_t(stride)}
	if len(img.Pix) > 0 {
		if pinner != nil {
			pinner.Pin(&img.Pix[0])
		}
		g.pixels = (*C.uint8_t)(&img.Pix[0])
	}
	return g, nil
}
