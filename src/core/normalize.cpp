#include "core/normalize.hpp"

namespace digitinfer::core {

// Each step rounds to float32 exactly as torch does, one operation at a time:
// to_tensor divides by 255, normalize subtracts the float32 mean, then divides
// by the float32 std. A 256-entry table holds every possible result.
Normalizer::Normalizer(float mean, float std) {
    for (int v = 0; v < 256; ++v) {
        volatile float x = float(v) / 255.0f;  // volatile: keep the float32 rounding of each step
        x = x - mean;
        table_[std::size_t(v)] = x / std;
    }
}

void Normalizer::apply(const uint8_t *pixels, std::size_t count, float *out) const {
    for (std::size_t i = 0; i < count; ++i) out[i] = table_[pixels[i]];
}

}  // namespace digitinfer::core
