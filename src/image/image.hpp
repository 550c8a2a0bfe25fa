// In-memory 8-bit images passed between the preprocessing stages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace digitinfer::core {

// Interleaved 8-bit samples, rows packed (stride = width * channels).
// channels: 1 = L, 2 = LA, 3 = RGB, 4 = RGBA or, when `cmyk`, CMYK.
struct Image {
    int width = 0;
    int height = 0;
    int channels = 0;
    std::vector<uint8_t> pixels;
    bool cmyk = false;  // 4 channels of ink (Pillow mode "CMYK"), not RGBA
};

// A single-channel image, rows packed.
struct GrayImage {
    int width = 0;
    int height = 0;
    std::vector<uint8_t> pixels;
};

// Largest image we agree to decode or resize: bounds memory use on hostile input.
// Pillow 9 refuses more than 2 x Image.MAX_IMAGE_PIXELS (DecompressionBombError): so do we.
constexpr std::size_t kMaxImagePixels = 178956970;
constexpr std::size_t kMaxEncodedBytes = std::size_t(1) << 30;
constexpr uint32_t kMaxJpegScans = 100;  // DI_DEFAULT_MAX_JPEG_SCANS

// What one decode may cost; a server facing the internet sets lower caps.
struct DecodeLimits {
    std::size_t max_pixels = kMaxImagePixels;         // width x height
    std::size_t max_encoded_bytes = kMaxEncodedBytes;  // file size
    uint32_t max_jpeg_scans = kMaxJpegScans;           // scans of a progressive JPEG
};

}  // namespace digitinfer::core
