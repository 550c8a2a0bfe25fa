package overhead

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	digitinfer "github.com/digitinfer/digitinfer/bindings/go"
)

var root = filepath.Join("..", "..", "..")

func load(b *testing.B) *digitinfer.Model {
	b.Helper()
	m, err := digitinfer.Load(filepath.Join(root, "models/convnet.dimodel"), digitinfer.WithThreads(1))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	return m
}

func image7(b *testing.B) []byte {
	b.Helper()
	data, err := os.ReadFile(filepath.Join(root, "examples/images/digit-7.png"))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func loadRaw(b *testing.B) *RawModel {
	b.Helper()
	m, err := LoadRaw(filepath.Join(root, "models/convnet.dimodel"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(m.Close)
	return m
}

// (a) trivial calls. InfoCgo is the C baseline's call made bare through cgo;
// the binding's own Info is cached at load (no C call); Version crosses into C.
func BenchmarkInfoCgo(b *testing.B) {
	m := loadRaw(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !m.Info() {
			b.Fatal("di_model_get_info failed")
		}
	}
}

func BenchmarkVersion(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if digitinfer.Version() == "" {
			b.Fatal("no version")
		}
	}
}

func BenchmarkInfo(b *testing.B) {
	m := load(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if m.Info().NumClasses != 10 {
			b.Fatal("info")
		}
	}
}

// (b) one preprocessed 1x28x28 tensor.
func BenchmarkPredictTensor(b *testing.B) {
	m := load(b)
	_, tensor, err := m.Preprocess(image7(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.PredictTensor(tensor); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPredictTensorCgo(b *testing.B) {
	_, tensor, err := load(b).Preprocess(image7(b))
	if err != nil {
		b.Fatal(err)
	}
	m := loadRaw(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !m.PredictTensor(tensor) {
			b.Fatal("di_model_predict_tensor failed")
		}
	}
}

// (c) the encoded bytes of examples/images/digit-7.png.
func BenchmarkPredictEncoded(b *testing.B) {
	m := load(b)
	data := image7(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.Predict(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPredictEncodedCgo(b *testing.B) {
	m, data := loadRaw(b), image7(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !m.PredictEncoded(data) {
			b.Fatal("di_model_predict_encoded failed")
		}
	}
}

// paired alternates the binding's call and the bare cgo call (which goes
// first alternates too), timing each, so that both see the same machine load.
// It reports the medians over the calls of the binding's time, the bare
// call's, and of their difference pair by pair: what the binding adds (lock,
// Go outputs, error check). Medians, because a preempted call is an outlier.
func paired(b *testing.B, binding, bare func() bool) {
	tBinding, tBare, diff := make([]float64, b.N), make([]float64, b.N), make([]float64, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		first, second := binding, bare
		if i%2 == 1 {
			first, second = bare, binding
		}
		t0 := time.Now()
		ok := first()
		t1 := time.Now()
		ok = second() && ok
		t2 := time.Now()
		if !ok {
			b.Fatal("a call failed")
		}
		d1, d2 := float64(t1.Sub(t0)), float64(t2.Sub(t1))
		if i%2 == 1 {
			d1, d2 = d2, d1
		}
		tBinding[i], tBare[i], diff[i] = d1, d2, d1-d2
	}
	b.ReportMetric(median(tBinding), "binding-ns/op")
	b.ReportMetric(median(tBare), "cgo-ns/op")
	b.ReportMetric(median(diff), "overhead-ns/op")
}

func median(x []float64) float64 {
	sort.Float64s(x)
	return x[len(x)/2]
}

func BenchmarkPairedTensor(b *testing.B) {
	m, raw := load(b), loadRaw(b)
	_, tensor, err := m.Preprocess(image7(b))
	if err != nil {
		b.Fatal(err)
	}
	paired(b, func() bool { _, err := m.PredictTensor(tensor); return err == nil },
		func() bool { return raw.PredictTensor(tensor) })
}

func BenchmarkPairedEncoded(b *testing.B) {
	m, raw, data := load(b), loadRaw(b), image7(b)
	paired(b, func() bool { _, err := m.Predict(data); return err == nil },
		func() bool { return raw.PredictEncoded(data) })
}
