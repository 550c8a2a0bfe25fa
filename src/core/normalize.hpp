// Stage 4: uint8 pixels -> normalized float32, as torchvision's
// to_tensor (x / 255) followed by normalize ((x - mean) / std).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace digitinfer::core {

class Normalizer {
public:
    Normalizer(float mean, float std);
    // Writes count floats; bit-identical to torchvision's float32 arithmetic.
    void apply(const uint8_t *pixels, std::size_t count, float *out) const;

private:
    std::array<float, 256> table_;
};

}  // namespace digitinfer::core
