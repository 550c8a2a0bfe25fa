// Stage 1: encoded image bytes -> 8-bit Image in the file's own channel layout.
#pragma once

#include <cstddef>
#include <cstdint>

#include "image.hpp"

namespace digitinfer {

// PNG through libdeflate; BMP, GIF (first frame), PGM/PPM and TGA through
// stb_image plus Pillow fix-ups; JPEG through libjpeg-turbo with Pillow's settings. Throws Failure(DI_ERR_DECODE) on
// corrupt, truncated, unknown or oversized input.
Image decode_image(const uint8_t *data, std::size_t size);

// PNG only (decode_png.cpp): libdeflate + our own unfiltering, in Pillow's modes.
bool has_png_signature(const uint8_t *data, std::size_t size);
Image decode_png(const uint8_t *data, std::size_t size);

// JPEG only (decode_jpeg.cpp).
bool looks_like_jpeg(const uint8_t *data, std::size_t size);
Image decode_jpeg(const uint8_t *data, std::size_t size);

// GIF only (decode_gif.cpp): gives transparent pixels their palette colour back.
bool looks_like_gif(const uint8_t *data, std::size_t size);
void restore_gif_transparent_color(const uint8_t *data, std::size_t size, Image &image);

}  // namespace digitinfer
