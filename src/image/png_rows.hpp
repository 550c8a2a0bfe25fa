// PNG scanlines after inflating: the header's geometry, unfiltering, and unpacking
// into 8-bit channels in Pillow's modes (png.cpp feeds them one row at a time).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

namespace digitinfer::core::png {

struct Header {
    uint32_t width = 0, height = 0;
    int depth = 0, color = 0;
    bool interlaced = false;
    int samples() const { return color == 0 || color == 3 ? 1 : color == 2 ? 3 : color == 4 ? 2 : 4; }
    // Bytes per complete pixel for filtering (at least 1), and per row of `w` pixels.
    std::size_t filter_bpp() const { return std::max<std::size_t>(1, std::size_t(samples() * depth) / 8); }
    std::size_t row_bytes(uint32_t w) const { return (std::size_t(w) * std::size_t(samples() * depth) + 7) / 8; }
    int out_channels() const { return color == 3 ? 3 : samples(); }
};

// Pillow's palette: a gray ramp (ImagingPaletteNew) whose first entries PLTE overwrites.
using Palette = std::array<uint8_t, 256 * 3>;
Palette gray_ramp_palette();

// Undoes the filter of one row in place; `prior` is the previous unfiltered row
// of the same pass, or zeros. Returns false for an unknown filter type. Paeth runs in SIMD
// where the CPU allows; `simd` false keeps it scalar (the tests compare the two).
bool unfilter(uint8_t filter, uint8_t *row, const uint8_t *prior, std::size_t n, std::size_t bpp, bool simd = true);

// Unpacks `w` pixels of an unfiltered row into 8-bit channels, `step` pixels apart in `out`.
void unpack(const Header &h, const Palette &palette, const uint8_t *row, uint32_t w, uint8_t *out,
            std::size_t step);

}  // namespace digitinfer::core::png
