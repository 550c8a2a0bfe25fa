#include "image/grayscale.hpp"

#include <cstring>
#include <string>

#include "common/failure.hpp"

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

// RGB/RGBA -> L. On x86-64 built for AVX2 and AVX-512 too, picked at load
// time: the 32-bit multiplies are slow on baseline SSE2. Elsewhere (e.g.
// aarch64) one build for the baseline ISA. Constant strides vectorize.
#if defined(__x86_64__)
#define DIGITINFER_LUMA_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define DIGITINFER_LUMA_CLONES
#endif
DIGITINFER_LUMA_CLONES void luma_rows(const uint8_t *in, std::size_t count, int channels, uint8_t *out) {
    if (channels == 3) {
        for (std::size_t i = 0; i < count; ++i) out[i] = luma(in + 3 * i);
        return;
    }
    for (std::size_t i = 0; i < count; ++i) {  // one 32-bit load per pixel: 32-bit lanes
        uint32_t px;
        std::memcpy(&px, in + 4 * i, 4);
        const uint8_t rgb[3] = {uint8_t(px), uint8_t(px >> 8), uint8_t(px >> 16)};  // little-endian
        out[i] = luma(rgb);
    }
}

}  // namespace

GrayImage to_grayscale(Image image) {
    const std::size_t count = std::size_t(image.width) * std::size_t(image.height);
    const int n = image.channels;
    if (n == 1) return GrayImage{image.width, image.height, std::move(image.pixels)};
    if (n < 1 || n > 4) fail(DI_ERR_DECODE, "unsupported channel count " + std::to_string(n));
    GrayImage gray{image.width, image.height, std::vector<uint8_t>(count)};
    const uint8_t *in = image.pixels.data();
    uint8_t *out = gray.pixels.data();
    if (n == 2) {
        for (std::size_t i = 0; i < count; ++i) out[i] = in[2 * i];
    } else if (image.cmyk) {
        for (std::size_t i = 0; i < count; ++i, in += 4) {
            const uint8_t rgb[3] = {cmyk_to_rgb(in[0], in[3]), cmyk_to_rgb(in[1], in[3]), cmyk_to_rgb(in[2], in[3])};
            out[i] = luma(rgb);
        }
    } else {
        luma_rows(in, count, n, out);
    }
    return gray;
}

}  // namespace digitinfer::core
