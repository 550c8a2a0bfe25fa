package digitinfer_test

import (
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sync"
	"testing"

	digitinfer "github.com/digitinfer/digitinfer/bindings/go"
)

// exampleImages is every image of tests/data/images and examples/images, as bytes.
func exampleImages(t *testing.T) [][]byte {
	t.Helper()
	var images [][]byte
	for _, pattern := range []string{"tests/data/images/*", "examples/images/*.png"} {
		paths, err := filepath.Glob(repo(pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			images = append(images, data)
		}
	}
	if len(images) < 20 {
		t.Fatalf("only %d images", len(images))
	}
	return images
}

// Goroutines sharing one Model, through every kind of call, get the serial
// results, bit for bit.
func TestGoroutinesSharingAModelGetTheSerialResults(t *testing.T) {
	m := model(t, dimodel)
	images := exampleImages(t)
	grays := make([]*image.Gray, len(images))
	for i, data := range images {
		var err error
		if grays[i], _, err = m.Preprocess(data); err != nil {
			t.Fatal(err)
		}
	}
	// The kinds of call, each on image i.
	kinds := []func(i int) (digitinfer.Prediction, error){
		func(i int) (digitinfer.Prediction, error) { return m.Predict(images[i]) },
		func(i int) (digitinfer.Prediction, error) {
			ps, err := m.PredictBatch([][]byte{images[i], images[(i+1)%len(images)]})
			if err != nil {
				return digitinfer.Prediction{}, err
			}
			return ps[0], nil
		},
		func(i int) (digitinfer.Prediction, error) { return m.PredictGray(grays[i]) },
		func(i int) (digitinfer.Prediction, error) {
			_, tensor, err := m.Preprocess(images[i])
			if err != nil {
				return digitinfer.Prediction{}, err
			}
			ps, err := m.PredictTensor(tensor)
			if err != nil {
				return digitinfer.Prediction{}, err
			}
			return ps[0], nil
		},
	}
	serial := make([][]digitinfer.Prediction, len(kinds))
	for k, call := range kinds {
		for i := range images {
			p, err := call(i)
			if err != nil {
				t.Fatal(err)
			}
			serial[k] = append(serial[k], p)
		}
	}
	const goroutines, rounds = 8, 3
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				for n := range images {
					k, i := (g+r+n)%len(kinds), (n+g)%len(images)
					p, err := kinds[k](i)
					if err == nil && !identical(p, serial[k][i]) {
						err = fmt.Errorf("call kind %d on image %d: %+v, serially %+v", k, i, p, serial[k][i])
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func identical(a, b digitinfer.Prediction) bool {
	if a.Digit != b.Digit || a.Probability != b.Probability || len(a.Probabilities) != len(b.Probabilities) {
		return false
	}
	for c := range a.Probabilities {
		if a.Probabilities[c] != b.Probabilities[c] || a.LogProbabilities[c] != b.LogProbabilities[c] {
			return false
		}
	}
	return true
}

// Close while other goroutines predict waits for their calls; after it, they get errors, never a crash.
func TestCloseWhileGoroutinesPredict(t *testing.T) {
	data := readFile(t, digit7)
	for round := 0; round < 5; round++ {
		m, err := digitinfer.Load(repo(dimodel), digitinfer.WithThreads(1))
		if err != nil {
			t.Fatal(err)
		}
		const goroutines = 4
		var started, done sync.WaitGroup
		outcomes := make(chan error, goroutines)
		for g := 0; g < goroutines; g++ {
			started.Add(1)
			done.Add(1)
			go func() {
				defer done.Done()
				for n := 0; ; n++ {
					p, err := m.Predict(data)
					if n == 0 {
						started.Done()
					}
					if err != nil {
						outcomes <- err
						return
					}
					if p.Digit != 7 {
						outcomes <- errors.New("wrong digit while closing")
						return
					}
				}
			}()
		}
		started.Wait()
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		m.Close()
		done.Wait()
		close(outcomes)
		for err := range outcomes {
			var e *digitinfer.Error
			if !errors.As(err, &e) || e.Code != digitinfer.ErrInvalidArgument || e.Message != "the model is closed" {
				t.Errorf("round %d: %v, expected the model is closed", round, err)
			}
		}
	}
}
