// The code a module's forward runs, as TorchScript graphs, found without running any pass:
// torch::jit::Inline would build each callee's optimized graph, and that runs constant
// propagation, which can execute an operator whose arguments are constants. Internal; torch
// TUs only.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/script.h>

namespace digitinfer::core {

struct ForwardCode {
    // forward's graph first, then those of the methods and functions it calls, transitively
    std::vector<std::shared_ptr<torch::jit::Graph>> graphs;
    // the calls whose callee could not be found before running (an interface's method, say)
    std::vector<std::string> unresolved;
};

// Throws std::runtime_error when the module has no forward method.
ForwardCode forward_code(const torch::jit::Module &module);

// Calls `visit` on every node of `graph`: in nested blocks (If, Loop) and subgraphs (fork) too.
void for_each_node(torch::jit::Graph &graph, const std::function<void(torch::jit::Node *)> &visit);

}  // namespace digitinfer::core
