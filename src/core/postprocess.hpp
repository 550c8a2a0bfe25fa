// Stage 6: the model's raw output rows -> log-probabilities, probabilities, class.
#pragma once

#include <cstddef>

#include "digitinfer/digitinfer.h"

namespace digitinfer::core {

// Turns one row of `classes` raw outputs of kind `kind` into log-probabilities
// (in place): log_softmax for logits, log for probabilities, as is otherwise.
void to_log_probabilities(float *row, std::size_t classes, di_output_kind kind);

// Index of the largest value; the first one on ties, like torch.argmax.
int argmax(const float *row, std::size_t classes);

}  // namespace digitinfer::core
