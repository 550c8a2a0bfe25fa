#include "image/resize_simd.hpp"

#include "image/cpu_features.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace digitinfer::core::resize_simd {

#if defined(__x86_64__)

bool available() { return cpu::has_avx2(); }

namespace {

#define DIGITINFER_AVX2 __attribute__((target("avx2")))

DIGITINFER_AVX2 inline __m256i load(const int16_t *p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p)); }

// sum(p * w) over a row's window, in 8 lanes whose total is the sum. Chunks is the number of
// 16-tap blocks when known at compile time (the usual 1-4; weights in registers), else 0.
template <int Chunks>
DIGITINFER_AVX2 inline __m256i row_sums(const uint8_t *row, const __m256i *wh, const __m256i *wl, const int16_t *high,
                                        const int16_t *low, int chunks) {
    __m256i sum_high = _mm256_setzero_si256(), sum_low = _mm256_setzero_si256();
    for (int c = 0; c < (Chunks ? Chunks : chunks); ++c) {
        const __m256i px = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i *>(row + 16 * c)));
        sum_high = _mm256_add_epi32(sum_high, _mm256_madd_epi16(px, Chunks ? wh[c] : load(high + 16 * c)));
        sum_low = _mm256_add_epi32(sum_low, _mm256_madd_epi16(px, Chunks ? wl[c] : load(low + 16 * c)));
    }
    return _mm256_add_epi32(_mm256_slli_epi32(sum_high, 11), sum_low);
}

// Pillow's rounding, shift and clamp of four sums, as four bytes.
DIGITINFER_AVX2 inline uint32_t to_bytes(__m128i sums) {
    const __m128i v = _mm_srai_epi32(_mm_add_epi32(sums, _mm_set1_epi32(1 << 21)), 22);
    return uint32_t(_mm_cvtsi128_si32(_mm_packus_epi16(_mm_packs_epi32(v, v), _mm_setzero_si128())));
}

// One output pixel of every row, four rows at a time (their sums reduced together). Row
// pointers are formed only for rows that exist: a one-row image may have any stride.
template <int Chunks>
DIGITINFER_AVX2 void one_column(const uint8_t *in, std::size_t stride, int rows, const int16_t *high,
                                const int16_t *low, int chunks, uint8_t *out, std::size_t out_step) {
    __m256i wh[Chunks ? Chunks : 1], wl[Chunks ? Chunks : 1];
    for (int c = 0; c < Chunks; ++c) wh[c] = load(high + 16 * c), wl[c] = load(low + 16 * c);
    const auto row = [&](int y) { return in + std::size_t(y) * stride; };
    int y = 0;
    for (; y + 4 <= rows; y += 4) {
        const __m256i a = _mm256_hadd_epi32(row_sums<Chunks>(row(y), wh, wl, high, low, chunks),
                                            row_sums<Chunks>(row(y + 1), wh, wl, high, low, chunks));
        const __m256i b = _mm256_hadd_epi32(row_sums<Chunks>(row(y + 2), wh, wl, high, low, chunks),
                                            row_sums<Chunks>(row(y + 3), wh, wl, high, low, chunks));
        const __m256i ab = _mm256_hadd_epi32(a, b);  // per 128-bit half: the four rows' partial sums
        const uint32_t bytes = to_bytes(_mm_add_epi32(_mm256_castsi256_si128(ab), _mm256_extracti128_si256(ab, 1)));
        for (int k = 0; k < 4; ++k, out += out_step) *out = uint8_t(bytes >> (8 * k));
    }
    for (; y < rows; ++y, out += out_step) {
        const __m256i v = row_sums<Chunks>(row(y), wh, wl, high, low, chunks);
        __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
        *out = uint8_t(to_bytes(s));
    }
}

}  // namespace

void horizontal(const uint8_t *in, std::size_t stride, int y0, int rows, const SplitWeights &weights, int out_width,
                uint8_t *out) {
    const int chunks = weights.taps / 16;
    auto *column = chunks == 1 ? one_column<1> : chunks == 2 ? one_column<2> : chunks == 3 ? one_column<3>
                 : chunks == 4 ? one_column<4> : one_column<0>;
    for (int xx = 0; xx < out_width; ++xx) {
        const std::size_t w = std::size_t(xx) * std::size_t(weights.taps);
        column(in + std::size_t(y0) * stride + std::size_t(weights.start[std::size_t(xx)]), stride, rows,
               &weights.high[w], &weights.low[w], chunks, out + xx, std::size_t(out_width));
    }
}

DIGITINFER_AVX2 void accumulate_row(int32_t *sum, const uint8_t *row, int width, int32_t weight) {
    const __m256i k = _mm256_set1_epi32(weight);
    int x = 0;
    for (; x + 8 <= width; x += 8) {
        __m256i *s = reinterpret_cast<__m256i *>(sum + x);
        const __m256i px = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(row + x)));
        _mm256_storeu_si256(s, _mm256_add_epi32(_mm256_loadu_si256(s), _mm256_mullo_epi32(px, k)));
    }
    for (; x < width; ++x) sum[x] += row[x] * weight;
}

#else  // no SIMD kernel on this architecture: resize.cpp never calls it

bool available() { return false; }
void horizontal(const uint8_t *, std::size_t, int, int, const SplitWeights &, int, uint8_t *) { std::abort(); }
void accumulate_row(int32_t *, const uint8_t *, int, int32_t) { std::abort(); }

#endif

}  // namespace digitinfer::core::resize_simd
