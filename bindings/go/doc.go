// Package digitinfer classifies handwritten digits with DigitInfer, through
// its C API (libdigitinfer, found with pkg-config).
//
//	model, err := digitinfer.Load("models/convnet.dimodel", digitinfer.WithThreads(1))
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer model.Close()
//	p, err := model.PredictFile("examples/images/digit-7.png")
//	if err != nil {
//		log.Fatal(err)
//	}
//	fmt.Println(p.Digit, p.Probability)
//
// Inputs: encoded image bytes (Predict, PredictBatch), files (PredictFile),
// raw grayscale pixels (PredictGray, PredictGrayBatch, as *image.Gray), any
// image.Image (PredictImage) and normalized float32 tensors (PredictTensor).
//
// Errors from the library are *Error values carrying the C status code; the
// codes are error values themselves, so errors.Is(err, digitinfer.ErrDecode)
// works. A Model is safe for concurrent use.
package digitinfer

// #cgo pkg-config: digitinfer
import "C"
