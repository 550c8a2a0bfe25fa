// Stage 1: encoded image bytes -> 8-bit Image in the file's own channel layout.
#pragma once

#include <cstddef>
#include <cstdint>

#include "image/image.hpp"

namespace digitinfer::core {

// PNG through libdeflate or zlib; GIF (first frame) and TGA by our own decoders;
// BMP and PGM/PPM through stb_image plus Pillow's checks and fix-ups; JPEG
// through libjpeg-turbo with Pillow's settings. Throws Failure(DI_ERR_DECODE) on corrupt, truncated, unknown input
// and on input beyond `limits`.
Image decode_image(const uint8_t *data, std::size_t size, const DecodeLimits &limits = {});

}  // namespace digitinfer::core
