// One decoder or Pillow fix-up per format, behind decode_image (decode.cpp),
// which picks among them by signature. Internal to src/image.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "image/image.hpp"

namespace digitinfer::core {

inline uint32_t le32(const uint8_t *p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline uint32_t le16(const uint8_t *p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8; }

[[noreturn]] void decode_failure(const char *what);

// PNG (png.cpp): zlib, streamed, with our own unfiltering (png_rows.cpp), as Pillow reads it.
bool has_png_signature(const uint8_t *data, std::size_t size);
Image decode_png(const uint8_t *data, std::size_t size, std::size_t max_pixels);
// The same pixels converted as convert("L") converts them, row by row (no colour image).
GrayImage decode_png_gray(const uint8_t *data, std::size_t size, std::size_t max_pixels);

// JPEG (jpeg.cpp): libjpeg-turbo with Pillow's settings and decisions, within the pixel and scan limits.
bool looks_like_jpeg(const uint8_t *data, std::size_t size);
Image decode_jpeg(const uint8_t *data, std::size_t size, const DecodeLimits &limits);
// Gray and RGB files straight to gray, a few rows at a time, as convert("L") converts them.
GrayImage decode_jpeg_gray(const uint8_t *data, std::size_t size, const DecodeLimits &limits);
// The number of scans (SOS markers) libjpeg would read, counted by a walk over the markers
// without decoding; it stops counting past stop_after (jpeg_scans.cpp).
std::size_t count_jpeg_scans(const uint8_t *data, std::size_t size, std::size_t stop_after);

// stb_image (stb.cpp) for PNM: its size (throws when unreadable), then its pixels.
void stb_info(const uint8_t *data, std::size_t size, int &width, int &height);
Image stb_load(const uint8_t *data, std::size_t size);

// BMP (bmp.cpp, bmp_rle.cpp): decoded by us as Pillow does, straight to gray.
bool looks_like_bmp(const uint8_t *data, std::size_t size);
GrayImage decode_bmp(const uint8_t *data, std::size_t size, std::size_t max_pixels);

// TGA (tga.cpp): the format without a signature, decoded by us as Pillow does.
Image decode_tga(const uint8_t *data, std::size_t size, std::size_t max_pixels);

// GIF (gif.cpp): the first frame, decoded by us as Pillow does, straight to gray.
bool looks_like_gif(const uint8_t *data, std::size_t size);
GrayImage decode_gif(const uint8_t *data, std::size_t size, std::size_t max_pixels);

// Binary PGM/PPM (pnm.cpp), decoded by us as Pillow does.
bool looks_like_pnm(const uint8_t *data, std::size_t size);
// Throws unless the header's numbers are ones stb_image can parse without overflow.
void check_pnm_header(const uint8_t *data, std::size_t size);
Image decode_pnm(const uint8_t *data, std::size_t size, int width, int height);

}  // namespace digitinfer::core
