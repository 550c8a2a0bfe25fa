// Checks a plan (plan.hpp) and infers every node's output shape. Both runners
// and the plan passes rely on it: a plan that passes has consistent sizes,
// weights of the right length and tensors within the engine's bounds.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "plan.hpp"

namespace digitinfer::engine {

struct TensorShape {
    bool flat = false;
    int c = 0, h = 1, w = 1;  // flat: c features
    std::size_t size() const { return std::size_t(c) * h * w; }
};

// One shape per node; throws std::invalid_argument ("engine plan: node 3 (Conv2d): ...") otherwise.
std::vector<TensorShape> infer_shapes(const Plan &plan);

// The output shape of `node` given its inputs' shapes (in node.inputs order);
// throws std::invalid_argument ("engine plan: Conv2d: ...") when they don't fit.
TensorShape output_shape(const Node &node, const std::vector<TensorShape> &inputs);

// "Conv2d", "Pool2d", ...: for messages.
const char *op_name(const Op &op);

}  // namespace digitinfer::engine
