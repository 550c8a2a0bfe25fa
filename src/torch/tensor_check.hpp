// Weights and metadata a model may carry: dense, strided CPU tensors of floating point (finite
// values), integer or boolean elements. Internal; torch TUs only.
#pragma once

#include <torch/script.h>

#include "torch/forward_code.hpp"

namespace digitinfer::core {

// Checks every tensor of the module's attributes (parameters, buffers, and tensors in lists,
// tuples, dicts and objects, submodules included) and every tensor constant of `code`, before
// anything runs; throws Failure(DI_ERR_MODEL) naming the first one that is not acceptable.
void check_tensors(const torch::jit::Module &module, const ForwardCode &code);

}  // namespace digitinfer::core
