#include "grayscale.hpp"

#include <string>

#include "failure.hpp"

namespace digitinfer {

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
    } else {
        for (std::size_t i = 0; i < count; ++i, in += n)
            out[i] = uint8_t((in[0] * 19595u + in[1] * 38470u + in[2] * 7471u + 0x8000u) >> 16);
    }
    return gray;
}

}  // namespace digitinfer
