// The operators an untrusted TorchScript model may run: pure tensor math and control flow
// (op_allowlist.cpp says why each group is safe). Internal; torch TUs only.
#pragma once

#include <string>
#include <vector>

#include "torch/forward_code.hpp"

namespace digitinfer::core {

// Every operator of `code` off the allow-list, and every call that could not be resolved,
// each once, sorted; empty when the code may run untrusted.
std::vector<std::string> refused_operators(const ForwardCode &code);

}  // namespace digitinfer::core
