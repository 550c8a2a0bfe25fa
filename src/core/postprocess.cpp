#include "core/postprocess.hpp"

#include <algorithm>
#include <cmath>

namespace digitinfer::core {

void to_log_probabilities(float *row, std::size_t classes, di_output_kind kind) {
    if (kind == DI_OUTPUT_PROBABILITIES) {
        for (std::size_t i = 0; i < classes; ++i) row[i] = std::log(row[i]);
    } else if (kind == DI_OUTPUT_LOGITS) {
        // x - max first, then - log(sum): max + log(sum) would round back to max once the logits
        // are large (3e35, or 1e7 already), giving tied classes a probability of 1 each.
        const double max = *std::max_element(row, row + classes);
        double sum = 0.0;
        for (std::size_t i = 0; i < classes; ++i) sum += std::exp(double(row[i]) - max);
        const double log_sum = std::log(sum);
        for (std::size_t i = 0; i < classes; ++i) row[i] = float(double(row[i]) - max - log_sum);
    }
}

int argmax(const float *row, std::size_t classes) {
    return int(std::max_element(row, row + classes) - row);
}

}  // namespace digitinfer::core
