// Stage 2: any decoded Image -> one 8-bit channel, as Pillow's convert("L").
#pragma once

#include "image/image.hpp"

namespace digitinfer::core {

// L stays; LA drops alpha; RGB and RGBA use Pillow's integer luma
// L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16 with alpha ignored, not composited;
// CMYK goes through Pillow's cmyk2rgb first, as convert("L") does.
GrayImage to_grayscale(Image image);

// One row of `count` pixels of 1 (L), 2 (LA), 3 (RGB) or 4 (RGBA) channels -> L, as above:
// for the decoders that convert rows as they decode them (no colour image in memory). RGB and
// RGBA run in AVX2 where the CPU has it (the same integer sums); `simd` false keeps it scalar.
void gray_row(const uint8_t *in, std::size_t count, int channels, uint8_t *out, bool simd = true);

}  // namespace digitinfer::core
