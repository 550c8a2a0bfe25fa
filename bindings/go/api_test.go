package digitinfer_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io/fs"
	"math"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	digitinfer "github.com/digitinfer/digitinfer/bindings/go"
)

func TestVersionIsTheLoadedLibrarys(t *testing.T) {
	if v := digitinfer.Version(); v != digitinfer.HeaderVersion {
		t.Errorf("the loaded library is %s, the headers %s", v, digitinfer.HeaderVersion)
	}
	if digitinfer.ABIVersion() != digitinfer.HeaderABIVersion {
		t.Errorf("ABI %d, headers' %d", digitinfer.ABIVersion(), digitinfer.HeaderABIVersion)
	}
}

func TestInfoDescribesTheModel(t *testing.T) {
	info := model(t, dimodel).Info()
	if info.InputChannels != 1 || info.InputHeight != 28 || info.InputWidth != 28 || info.NumClasses != 10 {
		t.Errorf("shape %+v", info)
	}
	if info.Engine != digitinfer.EngineNative || info.OutputKind == digitinfer.OutputAuto || info.Std <= 0 {
		t.Errorf("engine %v, output kind %v, std %g", info.Engine, info.OutputKind, info.Std)
	}
	if info.NumThreads != 1 || info.MaxPixels != digitinfer.DefaultMaxPixels ||
		info.MaxEncodedBytes != digitinfer.DefaultMaxEncodedBytes || info.Cache != digitinfer.CacheNotUsed {
		t.Errorf("settings %+v", info)
	}
	labels := model(t, dimodel).Labels()
	for i, l := range labels {
		if l != strconv.Itoa(i) {
			t.Errorf("label %d is %q", i, l)
		}
	}
	labels[0] = "changed" // a copy: the model's labels stay
	if model(t, dimodel).Labels()[0] != "0" {
		t.Error("Labels returned the model's own slice")
	}
}

func TestPredictionFieldsAreConsistent(t *testing.T) {
	p, err := model(t, dimodel).Predict(readFile(t, digit7))
	if err != nil {
		t.Fatal(err)
	}
	if p.Digit != 7 || p.Label != "7" || p.Probability != p.Probabilities[7] {
		t.Fatalf("%+v", p)
	}
	sum := 0.0
	for i, q := range p.Probabilities {
		sum += float64(q)
		if q > p.Probability {
			t.Errorf("class %d is more probable than the digit", i)
		}
		if d := math.Abs(math.Exp(float64(p.LogProbabilities[i])) - float64(q)); d > 1e-5*float64(q)+1e-7 {
			t.Errorf("exp(log-probability[%d]) != probability", i)
		}
	}
	if math.Abs(sum-1) > 1e-5 {
		t.Errorf("probabilities sum to %g", sum)
	}
	top := p.TopK(3)
	if len(top) != 3 || top[0] != (digitinfer.Class{Index: 7, Label: "7", Probability: p.Probability}) {
		t.Errorf("TopK(3) = %+v", top)
	}
	for i := 1; i < len(top); i++ {
		if top[i].Probability > top[i-1].Probability || top[i].Label != strconv.Itoa(top[i].Index) {
			t.Errorf("TopK(3) = %+v", top)
		}
	}
	if len(p.TopK(100)) != 10 || len(p.TopK(-1)) != 0 {
		t.Error("TopK is not capped to the classes")
	}
	// Each prediction's slices are its own: appending to one does not write into another's.
	ps, err := model(t, dimodel).PredictBatch([][]byte{readFile(t, digit7), readFile(t, digit2)})
	if err != nil {
		t.Fatal(err)
	}
	before := ps[1].Probabilities[0]
	_ = append(ps[0].Probabilities, 42)
	if ps[1].Probabilities[0] != before || cap(ps[0].Probabilities) != 10 {
		t.Error("a prediction's probabilities share capacity with the next one's")
	}
}

// Every input kind gives the result of the encoded bytes.
func TestEveryInputKindGivesTheSameResult(t *testing.T) {
	m := model(t, dimodel)
	data := readFile(t, digit7)
	want, err := m.Predict(data)
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, p digitinfer.Prediction, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		assertSame(t, what, p, want)
	}
	p, err := m.PredictFile(repo(digit7))
	check("PredictFile", p, err)

	loaded, err := digitinfer.LoadBytes(readFile(t, dimodel), digitinfer.WithThreads(1))
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Close()
	if loaded.Info() != m.Info() {
		t.Errorf("LoadBytes: info %+v, Load: %+v", loaded.Info(), m.Info())
	}
	p, err = loaded.Predict(data)
	check("LoadBytes+Predict", p, err)

	two := readFile(t, digit2)
	ps, err := m.PredictBatch([][]byte{two, data, two})
	if err != nil || len(ps) != 3 || ps[0].Digit != 2 || ps[2].Digit != 2 {
		t.Fatalf("PredictBatch: %v %+v", err, ps)
	}
	check("PredictBatch[1]", ps[1], nil)

	img, tensor, err := m.Preprocess(data)
	if err != nil {
		t.Fatal(err)
	}
	if img.Rect != image.Rect(0, 0, 28, 28) || len(tensor) != 28*28 {
		t.Fatalf("Preprocess: %v, %d floats", img.Rect, len(tensor))
	}
	info := m.Info()
	for i, v := range img.Pix {
		if d := math.Abs(float64(tensor[i]) - (float64(v)/255-float64(info.Mean))/float64(info.Std)); d > 1e-5 {
			t.Fatalf("tensor[%d] = %g is not pixel %d normalized", i, tensor[i], v)
		}
	}
	p, err = m.PredictGray(img)
	check("PredictGray", p, err)
	p, err = m.PredictImage(img)
	check("PredictImage(*image.Gray)", p, err)

	// A sub-image: stride 32 > width 28, starting inside a larger buffer.
	big := image.NewGray(image.Rect(0, 0, 32, 30))
	for i := range big.Pix {
		big.Pix[i] = 0xff
	}
	for y := 0; y < 28; y++ {
		copy(big.Pix[(y+1)*32+2:], img.Pix[y*28:(y+1)*28])
	}
	sub := big.SubImage(image.Rect(2, 1, 30, 29)).(*image.Gray)
	p, err = m.PredictGray(sub)
	check("PredictGray(sub-image)", p, err)
	gs, err := m.PredictGrayBatch([]*image.Gray{sub, img})
	if err != nil || len(gs) != 2 {
		t.Fatalf("PredictGrayBatch: %v", err)
	}
	check("PredictGrayBatch[0]", gs[0], nil)
	check("PredictGrayBatch[1]", gs[1], nil)

	ts, err := m.PredictTensor(tensor)
	if err != nil || len(ts) != 1 {
		t.Fatalf("PredictTensor: %v", err)
	}
	check("PredictTensor", ts[0], nil)
	_, tensor2, err := m.Preprocess(two)
	if err != nil {
		t.Fatal(err)
	}
	ts, err = m.PredictTensor(append(append([]float32{}, tensor...), tensor2...))
	if err != nil || len(ts) != 2 || ts[1].Digit != 2 {
		t.Fatalf("PredictTensor of two: %v", err)
	}
	check("PredictTensor[0] of two", ts[0], nil)

	decoded, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rgba := image.NewNRGBA(decoded.Bounds())
	for y := decoded.Bounds().Min.Y; y < decoded.Bounds().Max.Y; y++ {
		for x := decoded.Bounds().Min.X; x < decoded.Bounds().Max.X; x++ {
			rgba.Set(x, y, decoded.At(x, y))
		}
	}
	p, err = m.PredictImage(rgba)
	check("PredictImage(*image.NRGBA)", p, err)

	for _, empty := range [][][]byte{nil, {}} {
		ps, err := m.PredictBatch(empty)
		if err != nil || ps == nil || len(ps) != 0 {
			t.Errorf("PredictBatch(%#v) = %v, %v; expected no predictions", empty, ps, err)
		}
	}
	if gs, err := m.PredictGrayBatch(nil); err != nil || len(gs) != 0 {
		t.Errorf("PredictGrayBatch(nil) = %v, %v", gs, err)
	}
}

func TestLoadOptionsReachTheLibrary(t *testing.T) {
	path := repo(dimodel)
	load := func(opts ...digitinfer.Option) *digitinfer.Model {
		t.Helper()
		m, err := digitinfer.Load(path, opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		return m
	}
	data := readFile(t, digit7)

	m := load(digitinfer.WithThreads(3), digitinfer.WithOutputKind(digitinfer.OutputLogits),
		digitinfer.WithEngine(digitinfer.EngineNative), digitinfer.WithMaxPixels(28*28-1),
		digitinfer.WithMaxEncodedBytes(uint64(len(data))), digitinfer.WithMaxJPEGScans(5),
		digitinfer.WithTorchTimeLimit(time.Second), digitinfer.WithTorchMemoryLimit(1<<20),
		digitinfer.WithCacheDir(""), digitinfer.WithTrustedModel())
	info := m.Info()
	if info.NumThreads != 3 || info.OutputKind != digitinfer.OutputLogits || info.Engine != digitinfer.EngineNative ||
		info.MaxPixels != 28*28-1 || info.MaxEncodedBytes != uint64(len(data)) {
		t.Errorf("info %+v", info)
	}
	_, err := m.Predict(data) // a 28x28 image: one pixel too many
	assertCode(t, "encoded image over max pixels", err, digitinfer.ErrDecode)
	_, err = m.PredictGray(image.NewGray(image.Rect(0, 0, 28, 28)))
	assertCode(t, "gray image over max pixels", err, digitinfer.ErrInvalidArgument)
	_, err = m.Predict(append(data, 0))
	assertCode(t, "encoded image over max encoded bytes", err, digitinfer.ErrDecode)
	_, err = m.PredictFile(repo("tests/data/images/1-RGB-640x480.png"))
	assertCode(t, "image file over max encoded bytes", err, digitinfer.ErrDecode)

	for name, opt := range map[string]digitinfer.Option{
		"threads -1":             digitinfer.WithThreads(-1),
		"threads 2^40":           digitinfer.WithThreads(1 << 40),
		"output kind 99":         digitinfer.WithOutputKind(99),
		"engine 99":              digitinfer.WithEngine(99),
		"max pixels 0":           digitinfer.WithMaxPixels(0),
		"max pixels too many":    digitinfer.WithMaxPixels(digitinfer.DefaultMaxPixels + 1),
		"max encoded bytes 0":    digitinfer.WithMaxEncodedBytes(0),
		"max JPEG scans 0":       digitinfer.WithMaxJPEGScans(0),
		"max JPEG scans too big": digitinfer.WithMaxJPEGScans(digitinfer.MaxJPEGScans + 1),
		"negative time limit":    digitinfer.WithTorchTimeLimit(-time.Second),
	} {
		m, err := digitinfer.Load(path, opt)
		if m != nil {
			m.Close()
		}
		assertCode(t, name, err, digitinfer.ErrInvalidArgument)
	}
}

func TestTheCompiledModelCacheIsUsed(t *testing.T) {
	if !hasTorch(t) {
		t.Skip("needs the libtorch plugin: compiles a TorchScript file into the cache")
	}
	dir := t.TempDir()
	for _, want := range []digitinfer.CacheUse{digitinfer.CacheStored, digitinfer.CacheHit} {
		m, err := digitinfer.Load(repo(scripted), digitinfer.WithCacheDir(dir))
		if err != nil {
			t.Fatal(err)
		}
		info := m.Info()
		m.Close()
		if info.Cache != want || filepath.Dir(info.CachePath) != dir {
			t.Errorf("cache %v at %q (%s); expected %v in %s", info.Cache, info.CachePath, info.CacheNote, want, dir)
		}
	}
}

func TestEnginesAndOutputKindsHaveTheLibrarysNames(t *testing.T) {
	for _, e := range []digitinfer.Engine{digitinfer.EngineAuto, digitinfer.EngineNative, digitinfer.EngineLibtorch,
		digitinfer.EngineLibtorchReference} {
		if got, err := digitinfer.ParseEngine(e.String()); err != nil || got != e {
			t.Errorf("ParseEngine(%q) = %v, %v", e.String(), got, err)
		}
	}
	if digitinfer.EngineLibtorchReference.String() != "reference" || digitinfer.Engine(42).String() != "unknown" {
		t.Error("engine names")
	}
	_, err := digitinfer.ParseEngine("bogus")
	assertCode(t, "ParseEngine(bogus)", err, digitinfer.ErrInvalidArgument)
	for _, k := range []digitinfer.OutputKind{digitinfer.OutputAuto, digitinfer.OutputLogProbabilities,
		digitinfer.OutputLogits, digitinfer.OutputProbabilities} {
		if got, err := digitinfer.ParseOutputKind(k.String()); err != nil || got != k {
			t.Errorf("ParseOutputKind(%q) = %v, %v", k.String(), got, err)
		}
	}
	if k, err := digitinfer.ParseOutputKind("log_softmax"); err != nil || k != digitinfer.OutputLogProbabilities {
		t.Errorf("ParseOutputKind(log_softmax) = %v, %v", k, err)
	}
	_, err = digitinfer.ParseOutputKind("bogus")
	assertCode(t, "ParseOutputKind(bogus)", err, digitinfer.ErrInvalidArgument)
}

// --- bad input: errors carrying the C status, never a crash ---

func TestStatusesAreErrorsWithTheCNames(t *testing.T) {
	for code, name := range map[digitinfer.Status]string{
		digitinfer.ErrInvalidArgument: "DI_ERR_INVALID_ARGUMENT", digitinfer.ErrIO: "DI_ERR_IO",
		digitinfer.ErrDecode: "DI_ERR_DECODE", digitinfer.ErrModel: "DI_ERR_MODEL",
		digitinfer.ErrOutOfMemory: "DI_ERR_OUT_OF_MEMORY", digitinfer.ErrBufferTooSmall: "DI_ERR_BUFFER_TOO_SMALL",
		digitinfer.ErrInference: "DI_ERR_INFERENCE", digitinfer.ErrInternal: "DI_ERR_INTERNAL",
	} {
		if code.Error() != name || code >= 0 {
			t.Errorf("%d is %q, expected %s", int32(code), code.Error(), name)
		}
	}
	err := fmt.Errorf("wrapped: %w", &digitinfer.Error{Code: digitinfer.ErrDecode, Message: "m"})
	if !errors.Is(err, digitinfer.ErrDecode) || errors.Is(err, digitinfer.ErrIO) || err.Error() != "wrapped: DI_ERR_DECODE: m" {
		t.Errorf("errors.Is through wrapping: %v", err)
	}
}

func TestBadModelsAreRefusedWithTheirCode(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		path string
		code digitinfer.Status
	}{
		{filepath.Join(dir, "missing.dimodel"), digitinfer.ErrIO},
		{dir, digitinfer.ErrIO},
		{"/dev/zero", digitinfer.ErrIO},
		{repo("tests/data/bad/garbage.pt"), digitinfer.ErrModel},
		{repo("tests/data/bad/not-torchscript.pt"), digitinfer.ErrModel},
		{repo("tests/data/bad/random.bin"), digitinfer.ErrModel},
		{repo("tests/data/bad/empty.png"), digitinfer.ErrModel},
		{repo(digit7), digitinfer.ErrModel},
	} {
		m, err := digitinfer.Load(c.path)
		if m != nil {
			m.Close()
		}
		assertCode(t, "Load "+c.path, err, c.code)
	}
	for name, data := range map[string][]byte{
		"nil": nil, "garbage": []byte("\x00garbage model bytes"), "random": readFile(t, "tests/data/bad/random.bin"),
	} {
		m, err := digitinfer.LoadBytes(data)
		if m != nil {
			m.Close()
		}
		if name == "nil" {
			if err == nil {
				t.Error("LoadBytes(nil) loaded a model")
			}
			continue
		}
		assertCode(t, "LoadBytes "+name, err, digitinfer.ErrModel)
	}
}

func TestTorchScriptNeedsThePlugin(t *testing.T) {
	if hasTorch(t) {
		t.Skip("the library has the libtorch plugin: the golden cases load every TorchScript model")
	}
	m, err := digitinfer.Load(repo(scripted))
	if m != nil {
		m.Close()
	}
	assertCode(t, "Load "+scripted, err, digitinfer.ErrModel)
}

func TestBadImagesAreRefusedWithTheirCode(t *testing.T) {
	m := model(t, dimodel)
	good := readFile(t, digit7)
	for _, c := range []struct {
		name string
		data []byte
		code digitinfer.Status
	}{
		{"nil", nil, digitinfer.ErrDecode},
		{"empty", []byte{}, digitinfer.ErrDecode},
		{"garbage", []byte("garbage, not an image"), digitinfer.ErrDecode},
		{"corrupt.png", readFile(t, "tests/data/bad/corrupt.png"), digitinfer.ErrDecode},
		{"truncated.png", readFile(t, "tests/data/bad/truncated.png"), digitinfer.ErrDecode},
		{"truncated.jpg", readFile(t, "tests/data/bad/truncated.jpg"), digitinfer.ErrDecode},
		{"huge-dims.png", readFile(t, "tests/data/bad/huge-dims.png"), digitinfer.ErrDecode},
		{"zero-width.bmp", readFile(t, "tests/data/bad/zero-width.bmp"), digitinfer.ErrDecode},
		{"not-an-image.txt", readFile(t, "tests/data/bad/not-an-image.txt"), digitinfer.ErrDecode},
	} {
		_, err := m.Predict(c.data)
		assertCode(t, "Predict "+c.name, err, c.code)
		_, _, err = m.Preprocess(c.data)
		assertCode(t, "Preprocess "+c.name, err, c.code)
		_, err = m.PredictBatch([][]byte{good, c.data})
		assertCode(t, "PredictBatch "+c.name, err, c.code)
	}
}

func TestBadImageFilesAreRefusedWithoutBeingRead(t *testing.T) {
	m := model(t, dimodel)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.png")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.png")
	for _, path := range []string{missing, dir, "/dev/zero", fifo} {
		done := make(chan error, 1)
		go func() { _, err := m.PredictFile(path); done <- err }()
		select {
		case err := <-done:
			assertCode(t, "PredictFile "+path, err, digitinfer.ErrIO)
		case <-time.After(10 * time.Second):
			t.Fatalf("PredictFile(%s) hangs", path)
		}
	}
	_, err := m.PredictFile(missing)
	if !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, digitinfer.ErrIO) {
		t.Errorf("a missing file: %v should be both ErrIO and fs.ErrNotExist", err)
	}
	_, err = m.PredictFile(repo("tests/data/bad/corrupt.png"))
	assertCode(t, "PredictFile corrupt.png", err, digitinfer.ErrDecode)
}

func TestBadGrayImagesAreRefused(t *testing.T) {
	m := model(t, dimodel)
	gray := func(pix, w, h, stride int) *image.Gray {
		return &image.Gray{Pix: make([]byte, pix), Stride: stride, Rect: image.Rect(0, 0, w, h)}
	}
	for name, img := range map[string]*image.Gray{
		"nil":                  nil,
		"Pix one byte short":   gray(783, 28, 28, 28),
		"stride past the Pix":  gray(800, 28, 28, 29),
		"no pixels at all":     gray(0, 28, 28, 28),
		"zero width":           gray(10, 0, 1, 1),
		"zero height":          gray(10, 1, 0, 1),
		"stride below width":   gray(10, 5, 1, 4),
		"negative stride":      gray(100, 5, 2, -5),
		"inverted rectangle":   {Pix: make([]byte, 100), Stride: 10, Rect: image.Rectangle{Min: image.Pt(5, 5), Max: image.Pt(0, 0)}},
		"width beyond 32 bits": gray(10, 1<<32+1, 1, 1<<32+1),
		"huge stride":          gray(100, 5, 3, math.MaxInt),
	} {
		_, err := m.PredictGray(img)
		assertCode(t, "PredictGray "+name, err, digitinfer.ErrInvalidArgument)
		_, err = m.PredictGrayBatch([]*image.Gray{image.NewGray(image.Rect(0, 0, 28, 28)), img})
		assertCode(t, "PredictGrayBatch "+name, err, digitinfer.ErrInvalidArgument)
	}
	if _, err := m.PredictImage(nil); !errors.Is(err, digitinfer.ErrInvalidArgument) {
		t.Errorf("PredictImage(nil): %v", err)
	}
}

func TestBadTensorsAreRefused(t *testing.T) {
	m := model(t, dimodel)
	nan := make([]float32, 784)
	nan[100] = float32(math.NaN())
	inf := make([]float32, 784)
	inf[0] = float32(math.Inf(1))
	for name, tensor := range map[string][]float32{
		"nil": nil, "783 floats": make([]float32, 783), "785 floats": make([]float32, 785), "NaN": nan, "+Inf": inf,
	} {
		_, err := m.PredictTensor(tensor)
		assertCode(t, "PredictTensor "+name, err, digitinfer.ErrInvalidArgument)
	}
}

func TestTooLargeBatchesAreRefused(t *testing.T) {
	m := model(t, dimodel)
	_, err := m.PredictBatch(make([][]byte, digitinfer.MaxBatch+1))
	assertCode(t, "PredictBatch", err, digitinfer.ErrInvalidArgument)
	_, err = m.PredictGrayBatch(make([]*image.Gray, digitinfer.MaxBatch+1))
	assertCode(t, "PredictGrayBatch", err, digitinfer.ErrInvalidArgument)
	_, err = m.PredictTensor(make([]float32, 784*(digitinfer.MaxBatch+1)))
	assertCode(t, "PredictTensor", err, digitinfer.ErrInvalidArgument)
}

func TestAClosedModelGivesErrors(t *testing.T) {
	m, err := digitinfer.Load(repo(dimodel))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil { // twice is fine
		t.Fatal(err)
	}
	data := readFile(t, digit7)
	gray := image.NewGray(image.Rect(0, 0, 28, 28))
	calls := map[string]func() error{
		"Predict":          func() error { _, err := m.Predict(data); return err },
		"PredictFile":      func() error { _, err := m.PredictFile(repo(digit7)); return err },
		"PredictBatch":     func() error { _, err := m.PredictBatch([][]byte{data}); return err },
		"PredictGray":      func() error { _, err := m.PredictGray(gray); return err },
		"PredictGrayBatch": func() error { _, err := m.PredictGrayBatch([]*image.Gray{gray}); return err },
		"PredictImage":     func() error { _, err := m.PredictImage(gray); return err },
		"PredictTensor":    func() error { _, err := m.PredictTensor(make([]float32, 784)); return err },
		"Preprocess":       func() error { _, _, err := m.Preprocess(data); return err },
	}
	for name, call := range calls {
		err := call()
		assertCode(t, name+" after Close", err, digitinfer.ErrInvalidArgument)
		if e := new(digitinfer.Error); errors.As(err, &e) && e.Message != "the model is closed" {
			t.Errorf("%s after Close: %q", name, e.Message)
		}
	}
	if m.Info().NumClasses != 10 {
		t.Error("Info is gone after Close")
	}
}

func TestTheEnginesAgree(t *testing.T) {
	if !hasTorch(t) {
		t.Skip("needs the libtorch plugin: compares libtorch's reference module with the native engine")
	}
	native := model(t, scripted)
	reference, err := digitinfer.Load(repo(scripted), digitinfer.WithEngine(digitinfer.EngineLibtorchReference))
	if err != nil {
		t.Fatal(err)
	}
	defer reference.Close()
	if native.Info().Engine != digitinfer.EngineNative || reference.Info().Engine != digitinfer.EngineLibtorchReference {
		t.Fatalf("engines %v and %v", native.Info().Engine, reference.Info().Engine)
	}
	for _, image := range []string{digit7, digit2} {
		a, errA := native.Predict(readFile(t, image))
		b, errB := reference.Predict(readFile(t, image))
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		if a.Digit != b.Digit {
			t.Errorf("%s: native %d, reference %d", image, a.Digit, b.Digit)
		}
		for c := range a.LogProbabilities { // the golden tests' tolerances
			if d := math.Abs(float64(a.Probabilities[c] - b.Probabilities[c])); d > 1e-5 {
				t.Errorf("%s: probability[%d] differs by %g", image, c, d)
			}
			if d := math.Abs(float64(a.LogProbabilities[c] - b.LogProbabilities[c])); d > 1e-4+1e-5*math.Abs(float64(b.LogProbabilities[c])) {
				t.Errorf("%s: log-probability[%d] differs by %g", image, c, d)
			}
		}
	}
}
