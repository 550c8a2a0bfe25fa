// Stage 3: resize to the model's input size exactly as Pillow 9's
// Image.resize(size, BILINEAR) does for mode L (libImaging/Resample.c).
#pragma once

#include <cstddef>
#include <cstdint>

#include "image/image.hpp"

namespace digitinfer::core {

// Resizes `in` (width x height, rows `stride` bytes apart) to out_width x
// out_height into `out` (rows packed). Pillow's antialiased separable
// triangle filter: support widened by the reduction factor, double
// coefficients normalized then rounded to 22-bit fixed point, horizontal pass
// then vertical pass over only the rows it needs, rounding and clamping to
// uint8 after each pass; a pass whose size does not change is skipped. The horizontal pass
// runs in AVX2 where the CPU has it (the same sums, so the same bytes); `simd` false keeps it
// scalar (the tests compare the two).
void resize_bilinear_antialiased(const uint8_t *in, int width, int height, std::size_t stride, uint8_t *out,
                                 int out_width, int out_height, bool simd = true);

}  // namespace digitinfer::core
