#include "image/grayscale.hpp"

#include <cstring>
#include <string>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "common/failure.hpp"
#include "image/cpu_features.hpp"

namespace digitinfer::core {
namespace {

// Pillow's L24: integer ITU-R 601-2 luma.
inline uint8_t luma(const uint8_t *rgb) {
    return uint8_t((rgb[0] * 19595u + rgb[1] * 38470u + rgb[2] * 7471u + 0x8000u) >> 16);
}

// Pillow's cmyk2rgb for one channel: nk - round(ink * nk / 255), nk = 255 - k.
inline uint8_t cmyk_to_rgb(unsigned ink, unsigned k) {
    const unsigned nk = 255 - k, t = ink * nk + 128;
    return uint8_t(nk - (((t >> 8) + t) >> 8));
}

void luma_rows_scalar(const uint8_t *in, std::size_t count, int channels, uint8_t *out) {
    for (std::size_t i = 0; i < count; ++i, in += channels) out[i] = luma(in);
}

#if defined(__x86_64__)
// RGB/RGBA -> L in AVX2, 8 pixels at a time, the same integer sums: a byte shuffle lays each
// pixel out as the 16-bit lanes (R, B, G, G), whose multiply-add with (19595, 7471, 32767,
// 5703) gives R*19595 + B*7471 and G*38470 as two 32-bit lanes (38470 is no 16-bit value,
// 32767 + 5703 are); a horizontal add joins them.
template <int Channels>
__attribute__((target("avx2"))) std::size_t luma_rows_avx2(const uint8_t *in, std::size_t count, uint8_t *out) {
    constexpr int C = Channels;
    // Within each 128-bit half (4 pixels): pixels 0-1 and 2-3 as (R, B, G, G) words.
    const __m128i first = _mm_setr_epi8(0, -1, 2, -1, 1, -1, 1, -1, C, -1, C + 2, -1, C + 1, -1, C + 1, -1);
    const __m128i second = _mm_setr_epi8(2 * C, -1, 2 * C + 2, -1, 2 * C + 1, -1, 2 * C + 1, -1, 3 * C, -1,
                                         3 * C + 2, -1, 3 * C + 1, -1, 3 * C + 1, -1);
    const __m256i shuffle_a = _mm256_broadcastsi128_si256(first), shuffle_b = _mm256_broadcastsi128_si256(second);
    const __m256i weights = _mm256_set1_epi64x(int64_t(uint64_t(5703) << 48 | uint64_t(32767) << 32 |
                                                      uint64_t(7471) << 16 | uint64_t(19595)));
    const __m256i half = _mm256_set1_epi32(0x8000);
    std::size_t i = 0;
    // Each half loads 16 bytes from its first pixel: stop where that would pass the row's end.
    for (; (i + 4) * C + 16 <= count * C; i += 8) {
        const __m256i px = _mm256_inserti128_si256(
            _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i *>(in + i * C))),
            _mm_loadu_si128(reinterpret_cast<const __m128i *>(in + (i + 4) * C)), 1);
        const __m256i a = _mm256_madd_epi16(_mm256_shuffle_epi8(px, shuffle_a), weights);
        const __m256i b = _mm256_madd_epi16(_mm256_shuffle_epi8(px, shuffle_b), weights);
        const __m256i l = _mm256_srli_epi32(_mm256_add_epi32(_mm256_hadd_epi32(a, b), half), 16);
        const __m256i bytes = _mm256_packus_epi16(_mm256_packus_epi32(l, l), _mm256_setzero_si256());
        const uint32_t lo = uint32_t(_mm256_extract_epi32(bytes, 0)), hi = uint32_t(_mm256_extract_epi32(bytes, 4));
        std::memcpy(out + i, &lo, 4);
        std::memcpy(out + i + 4, &hi, 4);
    }
    return i;
}

#endif

}  // namespace

void gray_row(const uint8_t *in, std::size_t count, int channels, uint8_t *out, bool simd) {
    if (channels == 1) return void(std::memcpy(out, in, count));
    if (channels == 2) {
        for (std::size_t i = 0; i < count; ++i) out[i] = in[2 * i];
        return;
    }
    std::size_t done = 0;
#if defined(__x86_64__)
    if (simd && cpu::has_avx2()) done = channels == 3 ? luma_rows_avx2<3>(in, count, out) : luma_rows_avx2<4>(in, count, out);
#else
    (void)simd;
#endif
    luma_rows_scalar(in + done * std::size_t(channels), count - done, channels, out + done);
}

GrayImage to_grayscale(Image image) {
    const std::size_t count = std::size_t(image.width) * std::size_t(image.height);
    const int n = image.channels;
    if (n == 1) return GrayImage{image.width, image.height, std::move(image.pixels)};
    if (n < 1 || n > 4) fail(DI_ERR_DECODE, "unsupported channel count " + std::to_string(n));
    GrayImage gray{image.width, image.height, std::vector<uint8_t>(count)};
    const uint8_t *in = image.pixels.data();
    uint8_t *out = gray.pixels.data();
    if (image.cmyk) {
        for (std::size_t i = 0; i < count; ++i, in += 4) {
            const uint8_t rgb[3] = {cmyk_to_rgb(in[0], in[3]), cmyk_to_rgb(in[1], in[3]), cmyk_to_rgb(in[2], in[3])};
            out[i] = luma(rgb);
        }
    } else {
        gray_row(in, count, n, out);
    }
    return gray;
}

}  // namespace digitinfer::core
