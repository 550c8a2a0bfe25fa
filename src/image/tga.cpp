// TGA: the size check stb_image lacks, and Pillow's right-to-left orientation.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include <utility>

#include "image/formats.hpp"

namespace digitinfer::core {

std::size_t tga_min_size(const uint8_t *data, std::size_t size, std::size_t w, std::size_t h) {
    if (size < 18) return 0;
    const int type = data[2];
    const std::size_t bytes = (std::size_t(data[16]) + 7) / 8;  // per pixel (or palette index)
    std::size_t header = 18 + std::size_t(data[0]);               // and the image ID
    if ((type == 1 || type == 9) && data[1] == 1) header += le16(data + 5) * std::size_t(data[7] / 8);
    if (type == 1 || type == 2 || type == 3) return header + w * h * bytes;
    if (type == 9 || type == 10 || type == 11) return header + (w * h + 127) / 128 * (1 + bytes);  // RLE packets
    return 0;
}

// Pillow mirrors a TGA whose image descriptor has the right-to-left bit; stb_image ignores that bit.
void pillow_tga_orientation(const uint8_t *data, std::size_t size, Image &img) {
    if (size < 18 || !(data[17] & 0x10)) return;
    const std::size_t row = std::size_t(img.width) * std::size_t(img.channels), n = std::size_t(img.channels);
    for (std::size_t y = 0; y < std::size_t(img.height); ++y)
        for (std::size_t a = y * row, b = a + row - n; a < b; a += n, b -= n)
            std::swap_ranges(&img.pixels[a], &img.pixels[a] + n, &img.pixels[b]);
}

}  // namespace digitinfer::core
