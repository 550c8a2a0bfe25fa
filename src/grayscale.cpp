#include "grayscale.hpp"

#include <string>

#include "failure.hpp"

namespace digitinfer {
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
    } else if (n == 3) {  // constant strides, so that the compiler vectorizes
        for (std::size_t i = 0; i < count; ++i) out[i] = luma(in + 3 * i);
    } else {
        for (std::size_t i = 0; i < count; ++i) out[i] = luma(in + 4 * i);
    }
    return gray;
}

}  // namespace digitinfer
