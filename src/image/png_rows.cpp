// Unfiltering (with an SSE4.1 Paeth on x86-64) and unpacking of PNG rows, bit-identical
// to Pillow's ZipDecode.c and its unpackers.
#include "image/png_rows.hpp"

#if defined(__x86_64__)
#include <smmintrin.h>  // SSE4.1, picked at run time
#define DIGITINFER_PNG_SIMD 1
#endif

#include <cstdlib>
#include <cstring>

#include "image/cpu_features.hpp"

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

#if defined(DIGITINFER_PNG_SIMD)
// The Paeth filter for one row, a pixel (up to 8 bytes) at a time in 16-bit lanes, branch-free:
// the serial dependency runs per pixel, not per byte. With pa = |b - c| known before the left
// pixel a is, the chain from a to the next a is seven single-cycle steps: d = a - c, pc =
// |d + (b - c)|, pb = |d|, the choice between b and c, between a and that, and a byte add (the
// high bytes are zero, so no mask). SSE4.1 for pabsw and pblendvb (every x86-64 CPU since 2008;
// the scalar loop elsewhere). Bit-identical to the scalar loop in unfilter().
template <std::size_t bpp>  // a constant, so that the 1-8 byte copies compile to single moves
__attribute__((target("sse4.1"))) void unpaeth_sse41(uint8_t *__restrict row, const uint8_t *__restrict prior,
                                                     std::size_t n) {
    const __m128i zero = _mm_setzero_si128();
    auto load = [&](const uint8_t *p) {
        uint64_t v = 0;
        std::memcpy(&v, p, bpp);
        return _mm_unpacklo_epi8(_mm_cvtsi64_si128(int64_t(v)), zero);
    };
    __m128i a = zero, c = zero;  // left and upper-left pixels
    for (std::size_t i = 0; i < n; i += bpp) {
        const __m128i b = load(prior + i), x = load(row + i);
        const __m128i e = _mm_sub_epi16(b, c), pa = _mm_abs_epi16(e);  // off the chain
        const __m128i d = _mm_sub_epi16(a, c);
        const __m128i pb = _mm_abs_epi16(d), pc = _mm_abs_epi16(_mm_add_epi16(d, e));
        const __m128i b_or_c = _mm_blendv_epi8(b, c, _mm_cmpgt_epi16(pb, pc));
        const __m128i not_a = _mm_cmpgt_epi16(pa, _mm_min_epi16(pb, pc));
        a = _mm_add_epi8(x, _mm_blendv_epi8(a, b_or_c, not_a));
        const uint64_t out = uint64_t(_mm_cvtsi128_si64(_mm_packus_epi16(a, zero)));
        std::memcpy(row + i, &out, bpp);
        c = b;
    }
}

#endif  // DIGITINFER_PNG_SIMD

}  // namespace

// The first `bpp` bytes, which have no left neighbour, are done apart so that
// the main loops have no branches.
bool unfilter(uint8_t filter, uint8_t *__restrict row, const uint8_t *__restrict prior, std::size_t n,
              std::size_t bpp, bool simd) {
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
#if defined(DIGITINFER_PNG_SIMD)
            if (simd && cpu::has_sse41()) switch (bpp) {
                    case 2: unpaeth_sse41<2>(row, prior, n); return true;
                    case 3: unpaeth_sse41<3>(row, prior, n); return true;
                    case 4: unpaeth_sse41<4>(row, prior, n); return true;
                    case 6: unpaeth_sse41<6>(row, prior, n); return true;
                    case 8: unpaeth_sse41<8>(row, prior, n); return true;
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
