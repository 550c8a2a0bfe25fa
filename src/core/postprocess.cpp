#include "core/postprocess.hpp"

#include <algorithm>
#include <cmath>

#include "engine/runner.hpp"

namespace digitinfer::core {

void to_log_probabilities(float *row, std::size_t classes, di_output_kind kind) {
    if (kind == DI_OUTPUT_PROBABILITIES) {
        for (std::size_t i = 0; i < classes; ++i) row[i] = std::log(row[i]);
    } else if (kind == DI_OUTPUT_LOGITS) {
        // log_softmax exactly as the engine's output layer computes it (in place).
        engine::detail::activate(row, classes, row, engine::Activation::LogSoftmax);
    }
}

int argmax(const float *row, std::size_t classes) {
    return int(std::max_element(row, row + classes) - row);
}

}  // namespace digitinfer::core
