package digitinfer

import (
	"bytes"
	"image"
	"image/png"
)

// PredictImage classifies a decoded Go image. An *image.Gray goes to the
// library as raw pixels (PredictGray); any other image is first encoded as a
// PNG in memory, so the library's own grayscale conversion (Pillow's) applies
// to the colors Go's image/png writes. That gives the reference pipeline's
// result for every PNG image/png decodes into its own color model, but not
// for a 16-bit gray PNG with transparency, which image/png turns into
// NRGBA64 (Pillow converts 16-bit gray and 16-bit RGBA to 8-bit gray
// differently). For a file you have as bytes, Predict
// the bytes instead: it is faster, and a JPEG decoded by the library matches
// the reference pipeline more closely than one decoded by image/jpeg.
func (m *Model) PredictImage(img image.Image) (Prediction, error) {
	if g, ok := img.(*image.Gray); ok {
		return m.PredictGray(g)
	}
	if img == nil {
		return Prediction{}, newError(ErrInvalidArgument, "nil image")
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return Prediction{}, &Error{Code: ErrInvalidArgument, Message: "cannot encode the image as PNG: " + err.Error(), cause: err}
	}
	return m.Predict(buf.Bytes())
}
