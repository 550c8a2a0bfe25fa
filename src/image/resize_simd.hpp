// The resize passes in AVX2 (resize_simd.cpp), bit-identical to the scalar passes of
// resize.cpp: the same 32-bit integer sums of Pillow's Resample.c, computed 8 or 16 at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace digitinfer::core::resize_simd {

// Pillow's fixed-point weights laid out for the kernel: per output pixel, the column its loads
// start at and `taps` weights (a multiple of 16, zero outside the pixel's window). Each weight
// w (0 <= w < 2^22) is split into w >> 11 and w & 2047, which fit 16-bit lanes: with pixels
// below 2^8, 16-bit multiply-adds then give sum(p * (w >> 11)) and sum(p * (w & 2047)) exactly,
// and sum(p * w) is the first times 2^11 plus the second.
struct SplitWeights {
    int taps = 0;
    std::vector<int> start;
    std::vector<int16_t> high, low;  // out_width x taps
};

// True where the kernel can run: an x86-64 CPU with AVX2, not lowered by DIGITINFER_ISA=scalar.
bool available();

// Input rows [y0, y0 + rows) -> `out` (rows x out_width): Pillow's horizontal pass, each sum
// rounded (1 << 21 added), shifted by 22 and clamped to uint8.
void horizontal(const uint8_t *in, std::size_t stride, int y0, int rows, const SplitWeights &weights, int out_width,
                uint8_t *out);

// The vertical pass's step: sum[x] += row[x] * weight for x < width (the same int sums).
void accumulate_row(int32_t *sum, const uint8_t *row, int width, int32_t weight);

}  // namespace digitinfer::core::resize_simd
