package digitinfer_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math"
	"testing"

	digitinfer "github.com/digitinfer/digitinfer/bindings/go"
)

// goldenCases calls check for every case of golden.json whose model this
// library loads, in a subtest named image@model; the cases of TorchScript
// models a library without the plugin cannot load are counted in one skip.
func goldenCases(t *testing.T, check func(t *testing.T, m *digitinfer.Model, c goldenCase)) {
	g := goldenData(t)
	var left []string
	for _, c := range g.Cases {
		rel := standIn(t, c.Model)
		if rel == "" {
			left = append(left, c.Image+"@"+c.Model)
			continue
		}
		t.Run(c.Image+"@"+c.Model, func(t *testing.T) { check(t, model(t, rel), c) })
	}
	if len(left) > 0 {
		t.Run("left-out-without-libtorch", func(t *testing.T) {
			t.Skipf("needs the libtorch plugin: %d of the %d golden cases are of TorchScript models", len(left), len(g.Cases))
		})
	}
}

func TestGoldenPredictions(t *testing.T) {
	goldenCases(t, func(t *testing.T, m *digitinfer.Model, c goldenCase) {
		p, err := m.Predict(readFile(t, c.Image))
		if err != nil {
			t.Fatal(err)
		}
		assertGolden(t, "Predict", p, c)
	})
}

// The Go example's model, the compiled form of the shipped TorchScript models,
// matches their golden values with or without the plugin.
func TestGoldenPredictionsOfTheDimodel(t *testing.T) {
	m := model(t, dimodel)
	n := 0
	for _, c := range goldenData(t).Cases {
		if c.Model != scripted && c.Model != traced {
			continue
		}
		n++
		p, err := m.PredictFile(repo(c.Image))
		if err != nil {
			t.Fatalf("%s: %v", c.Image, err)
		}
		assertGolden(t, c.Image+"@"+c.Model+" on "+dimodel, p, c)
	}
	if n < 100 {
		t.Fatalf("only %d golden cases of the shipped models", n)
	}
}

func TestGoldenPreprocessing(t *testing.T) {
	g := goldenData(t)
	goldenCases(t, func(t *testing.T, m *digitinfer.Model, c goldenCase) {
		img, tensor, err := m.Preprocess(readFile(t, c.Image))
		if err != nil {
			t.Fatal(err)
		}
		if len(img.Pix) != len(c.Preprocessed) {
			t.Fatalf("%d pixels, the reference has %d", len(img.Pix), len(c.Preprocessed))
		}
		table := g.Models[c.Model].NormalizeTable
		for i, want := range c.Preprocessed {
			if int(img.Pix[i]) != want {
				t.Fatalf("pixel %d is %d, the reference's is %d", i, img.Pix[i], want)
			}
			if d := math.Abs(float64(tensor[i]) - table[want]); d > 1e-6 {
				t.Fatalf("tensor[%d] = %g, torchvision's normalize gives %g", i, tensor[i], table[want])
			}
		}
	})
}

// Decoded by Go's image/png, a golden PNG gives the golden values through
// PredictImage (gray images as raw pixels, others re-encoded), and through
// PredictTensor of the preprocessed tensor.
func TestGoldenDecodedImagesAndTensors(t *testing.T) {
	goldenCases(t, func(t *testing.T, m *digitinfer.Model, c goldenCase) {
		data := readFile(t, c.Image)
		if _, tensor, err := m.Preprocess(data); err != nil {
			t.Fatal(err)
		} else if ps, err := m.PredictTensor(tensor); err != nil {
			t.Fatal(err)
		} else {
			assertGolden(t, "PredictTensor", ps[0], c)
		}
		if c.Format != "PNG" {
			return
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("Go's image/png does not decode it: %v", err)
		}
		if _, ok := img.(*image.Gray16); c.Mode == "I" && !ok {
			// 16-bit gray with a tRNS chunk decodes as NRGBA64, which PNG stores as RGBA: Pillow
			// converts 16-bit RGBA to L by its high byte, 16-bit gray ("I") by clipping at 255.
			t.Skipf("Go decodes this 16-bit gray PNG as %T, which is not Pillow's mode I", img)
		}
		p, err := m.PredictImage(img)
		if err != nil {
			t.Fatal(err)
		}
		assertGolden(t, fmt.Sprintf("PredictImage(%T)", img), p, c)
		if g, ok := img.(*image.Gray); ok {
			p, err := m.PredictGrayBatch([]*image.Gray{g, g})
			if err != nil {
				t.Fatal(err)
			}
			assertGolden(t, "PredictGrayBatch[0]", p[0], c)
			assertGolden(t, "PredictGrayBatch[1]", p[1], c)
		}
	})
}
