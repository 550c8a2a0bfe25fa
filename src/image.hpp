// In-memory 8-bit images passed between the preprocessing stages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace digitinfer {

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
constexpr std::size_t kMaxImagePixels = std::size_t(1) << 28;  // 268M pixels (16384 x 16384)

}  // namespace digitinfer
