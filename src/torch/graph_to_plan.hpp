// Recognizes the feed-forward graphs the native engine can run, in a frozen
// TorchScript module, and copies their weights out. Internal; torch TUs only.
#pragma once

#include <string>

#include <torch/script.h>

#include "engine/plan.hpp"

namespace digitinfer::core {

// The plan for `frozen` (a module after torch::jit::freeze), whose input is
// [N, channels, height, width]. Throws std::invalid_argument saying which node
// is not supported when the graph is anything else.
engine::Plan extract_plan(const torch::jit::Module &frozen, int channels, int height, int width);

}  // namespace digitinfer::core
