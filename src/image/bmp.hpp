// BMP, shared by bmp.cpp (headers, palette, raw pixels) and bmp_rle.cpp
// (BmpRleDecoder). Internal to src/image.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "image/image.hpp"

namespace digitinfer::core {

[[noreturn]] void bmp_failure(const std::string &what);

// What BmpImagePlugin._bitmap decides from the headers: the image, where its pixels start and
// how Pillow's decoder reads them.
struct BmpLayout {
    std::size_t width = 0, height = 0;
    bool top_down = false;     // Pillow's direction 1 (the height's high byte is 0xFF), else bottom-up
    std::size_t offset = 0;    // the tile's offset: where the pixels (or RLE codes) start
    std::size_t file_bits = 0;  // bits a pixel in the file: the raw rows' stride
    // Bits a pixel of Pillow's unpacker (its rawmode), which need not be file_bits: a file whose
    // palette is black and white reads as mode "1" (1 bit), a gray ramp as "L" (8 bits).
    std::size_t pixel_bits = 0;
    char mode = 0;             // Pillow's mode: '1', 'L', 'P', or 'R' (RGB, RGBA)
    int rle = 0;               // 0 raw, 8 RLE8, 4 RLE4 (BmpRleDecoder)
    // pixel_bits <= 8: the gray value convert("L") gives each sample (palette, "1" or "L").
    std::array<uint8_t, 256> gray{};
    // pixel_bits 16: bits of green (5: BGR;15, 6: BGR;16). 24, 32: byte of R, G and B in a pixel.
    int green_bits = 5;
    int red = 2, green = 1, blue = 0;
};

// BmpRleDecoder (bmp_rle.cpp): the codes from layout.offset, expanded into `out` (width x height,
// rows top first), or a refusal where Pillow refuses.
void decode_bmp_rle(const uint8_t *data, std::size_t size, const BmpLayout &layout, GrayImage &out);

}  // namespace digitinfer::core
