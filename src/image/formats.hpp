// One decoder or Pillow fix-up per format, behind decode_image (decode.cpp),
// which picks among them by signature. Internal to src/image.
#pragma once

#include <cstddef>
#include <cstdint>

#include "image/image.hpp"

namespace digitinfer::core {

inline uint32_t le32(const uint8_t *p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline uint32_t le16(const uint8_t *p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8; }

[[noreturn]] void decode_failure(const char *what);

// PNG (png.cpp): libdeflate + our own unfiltering, in Pillow's modes.
bool has_png_signature(const uint8_t *data, std::size_t size);
Image decode_png(const uint8_t *data, std::size_t size, std::size_t max_pixels);

// JPEG (jpeg.cpp): libjpeg-turbo with Pillow's settings.
bool looks_like_jpeg(const uint8_t *data, std::size_t size);
Image decode_jpeg(const uint8_t *data, std::size_t size, std::size_t max_pixels);

// stb_image (stb.cpp) for BMP, GIF, PNM and TGA: their size (throws when unreadable), then their pixels.
void stb_info(const uint8_t *data, std::size_t size, int &width, int &height);
Image stb_load(const uint8_t *data, std::size_t size);

// BMP (bmp.cpp).
bool looks_like_bmp(const uint8_t *data, std::size_t size);
// Fewest bytes a w x h file of the header's layout can have, or 0 when not known.
std::size_t bmp_min_size(const uint8_t *data, std::size_t size, std::size_t w, std::size_t h);
// 16-bit channels widened as Pillow does.
void pillow_bmp16_channels(const uint8_t *data, std::size_t size, Image &img);

// TGA (tga.cpp): the format without a signature.
std::size_t tga_min_size(const uint8_t *data, std::size_t size, std::size_t w, std::size_t h);
void pillow_tga_orientation(const uint8_t *data, std::size_t size, Image &img);

// GIF (gif.cpp): gives transparent pixels their palette colour back.
bool looks_like_gif(const uint8_t *data, std::size_t size);
void restore_gif_transparent_color(const uint8_t *data, std::size_t size, Image &image);

// Binary PGM/PPM (pnm.cpp), decoded by us as Pillow does.
bool looks_like_pnm(const uint8_t *data, std::size_t size);
// Throws unless the header's numbers are ones stb_image can parse without overflow.
void check_pnm_header(const uint8_t *data, std::size_t size);
Image decode_pnm(const uint8_t *data, std::size_t size, int width, int height);

}  // namespace digitinfer::core
