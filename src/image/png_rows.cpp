// Unfiltering (with an SSE2 Paeth on x86-64) and unpacking of PNG rows, bit-identical
// to Pillow's ZipDecode.c and its unpackers.
#include "image/png_rows.hpp"

#if defined(__x86_64__)
#include <emmintrin.h>  // SSE2: part of every x86-64 CPU
#define DIGITINFER_PNG_SSE2 1
#endif

#include <cstdlib>
#include <cstring>

namespace digitinfer::core::png {

Palette gray_ramp_palette() {
    Palette p;
    for (std::size_t i = 0; i < 256; ++i) p[3 * i] = p[3 * i + 1] = p[3 * i + 2] = uint8_t(i);
    return p;
}

namespace {

uint8_t paeth(int a, int b, int c) {
    const int pa = std::abs(b - c), pb = std::abs(a - c), pc = std::abs(a + b - 2 * c);
    return uint8_t(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

#if defined(DIGITINFER_PNG_SSE2)
// The Paeth filter for one row, a pixel (up to 8 bytes) at a time in 16-bit
// SSE2 lanes, branch-free: the serial dependency runs per pixel, not per byte.
// Bit-identical to the scalar loop in unfilter(), which every other CPU runs.
template <std::size_t bpp>  // a constant, so that the 1-8 byte copies compile to single moves
void unpaeth_sse2(uint8_t *__restrict row, const uint8_t *__restrict prior, std::size_t n) {
    const __m128i zero = _mm_setzero_si128();
    auto load = [&](const uint8_t *p) {
        uint64_t v = 0;
        std::memcpy(&v, p, bpp);
        return _mm_unpacklo_epi8(_mm_cvtsi64_si128(int64_t(v)), zero);
    };
    auto abs16 = [&](__m128i x) { return _mm_max_epi16(x, _mm_sub_epi16(zero, x)); };
    auto select = [](__m128i mask, __m128i yes, __m128i no) {
        return _mm_or_si128(_mm_and_si128(mask, yes), _mm_andnot_si128(mask, no));
    };
    __m128i a = zero, c = zero;  // left and upper-left pixels
    for (std::size_t i = 0; i < n; i += bpp) {
        const __m128i b = load(prior + i);
        const __m128i pa = abs16(_mm_sub_epi16(b, c)), pb = abs16(_mm_sub_epi16(a, c));
        const __m128i pc = abs16(_mm_add_epi16(_mm_sub_epi16(b, c), _mm_sub_epi16(a, c)));
        const __m128i smallest = _mm_min_epi16(pc, _mm_min_epi16(pa, pb));
        const __m128i nearest =
            select(_mm_cmpeq_epi16(pa, smallest), a, select(_mm_cmpeq_epi16(pb, smallest), b, c));
        a = _mm_and_si128(_mm_add_epi16(load(row + i), nearest), _mm_set1_epi16(0xFF));
        const uint64_t out = uint64_t(_mm_cvtsi128_si64(_mm_packus_epi16(a, zero)));
        std::memcpy(row + i, &out, bpp);
        c = b;
    }
}
#endif  // DIGITINFER_PNG_SSE2

}  // namespace

// The first `bpp` bytes, which have no left neighbour, are done apart so that
// the main loops have no branches.
bool unfilter(uint8_t filter, uint8_t *__restrict row, const uint8_t *__restrict prior, std::size_t n,
              std::size_t bpp) {
    const std::size_t head = std::min(bpp, n);
    switch (filter) {
        case 0: return true;
        case 1:
            for (std::size_t i = bpp; i < n; ++i) row[i] = uint8_t(row[i] + row[i - bpp]);
            return true;
        case 2:
            for (std::size_t i = 0; i < n; ++i) row[i] = uint8_t(row[i] + prior[i]);
            return true;
        case 3:
            for (std::size_t i = 0; i < head; ++i) row[i] = uint8_t(row[i] + prior[i] / 2);
            for (std::size_t i = bpp; i < n; ++i) row[i] = uint8_t(row[i] + (row[i - bpp] + prior[i]) / 2);
            return true;
        case 4:
#if defined(DIGITINFER_PNG_SSE2)
            switch (bpp) {
                case 2: unpaeth_sse2<2>(row, prior, n); return true;
                case 3: unpaeth_sse2<3>(row, prior, n); return true;
                case 4: unpaeth_sse2<4>(row, prior, n); return true;
                case 6: unpaeth_sse2<6>(row, prior, n); return true;
                case 8: unpaeth_sse2<8>(row, prior, n); return true;
            }
#endif
            // Every bpp (and on CPUs other than x86-64 the only path): exact integer math.
            for (std::size_t i = 0; i < head; ++i) row[i] = uint8_t(row[i] + prior[i]);  // paeth(0, b, 0) = b
            for (std::size_t i = bpp; i < n; ++i) row[i] = uint8_t(row[i] + paeth(row[i - bpp], prior[i], prior[i - bpp]));
            return true;
        default: return false;
    }
}

void unpack(const Header &h, const Palette &palette, const uint8_t *row, uint32_t w, uint8_t *out,
            std::size_t step) {
    const int ch = h.out_channels();
    const std::size_t stride = step * std::size_t(ch);
    if (h.depth < 8) {
        const int per_byte = 8 / h.depth, mask = (1 << h.depth) - 1, scale = 255 / mask;
        for (uint32_t x = 0; x < w; ++x, out += stride) {
            const int shift = 8 - h.depth * (1 + int(x % uint32_t(per_byte)));
            const int v = (row[x / uint32_t(per_byte)] >> shift) & mask;
            if (h.color == 3) std::memcpy(out, &palette[std::size_t(v) * 3], 3);
            else out[0] = uint8_t(v * scale);
        }
    } else if (h.color == 3) {
        for (uint32_t x = 0; x < w; ++x, out += stride) std::memcpy(out, &palette[std::size_t(row[x]) * 3], 3);
    } else if (h.depth == 8) {
        if (step == 1) return void(std::memcpy(out, row, std::size_t(w) * std::size_t(ch)));
        for (uint32_t x = 0; x < w; ++x, out += stride, row += ch) std::memcpy(out, row, std::size_t(ch));
    } else if (h.color == 0) {  // 16-bit gray: Pillow's I -> L clamps
        for (uint32_t x = 0; x < w; ++x, out += stride, row += 2) out[0] = row[0] ? 255 : row[1];
    } else {  // 16-bit colour: high bytes
        for (uint32_t x = 0; x < w; ++x, out += stride)
            for (int k = 0; k < ch; ++k, row += 2) out[k] = row[0];
    }
}

}  // namespace digitinfer::core::png
