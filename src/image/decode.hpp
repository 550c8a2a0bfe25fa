// Stage 1: encoded image bytes -> 8-bit Image in the file's own channel layout (and stages 1-2).
#pragma once

#include <cstddef>
#include <cstdint>

#include "image/image.hpp"

namespace digitinfer::core {

// PNG through libdeflate or zlib; GIF (first frame), BMP and TGA by our own decoders;
// PGM/PPM through stb_image plus Pillow's checks and fix-ups; JPEG
// through libjpeg-turbo with Pillow's settings. Throws Failure(DI_ERR_DECODE) on corrupt, truncated, unknown input
// and on input beyond `limits`.
Image decode_image(const uint8_t *data, std::size_t size, const DecodeLimits &limits = {});

// Stages 1 and 2 together: the same as to_grayscale(decode_image(...)), byte for byte, with
// JPEG (gray, RGB), PNG (not interlaced) and GIF converted row by row as they decode (no
// colour image in memory: faster, and a quarter of the memory for RGBA).
GrayImage decode_gray(const uint8_t *data, std::size_t size, const DecodeLimits &limits = {});

}  // namespace digitinfer::core
