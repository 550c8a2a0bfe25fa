// A network the native engine can run without libtorch: a DAG of operations
// with float32 weights in torch's layouts, made from a TorchScript graph at
// load time (src/torch/graph_to_plan.cpp) or read from a .dimodel file.
//
// Tensors are [C, H, W] per image ("spatial") until a Flatten (C,H,W order,
// as torch.flatten(x, 1)), then [F] ("flat"). Every node names its inputs:
// kInput is the network's input [C, H, W]; i >= 0 is the output of nodes[i],
// which must come earlier. The last node's output is the network's.
#pragma once

#include <variant>
#include <vector>

namespace digitinfer::engine {

// An element-wise function. alpha/beta: LeakyReLU slope; ELU alpha;
// Hardtanh min/max (ReLU6 is Hardtanh 0, 6).
struct Pointwise {
    enum Kind { Identity, ReLU, LeakyReLU, ELU, GELU, GELUTanh, SiLU, Sigmoid, Tanh, Hardtanh, Hardswish };
    Kind kind = Identity;
    float alpha = 0.0f, beta = 0.0f;
};

struct Conv2d {
    int in_channels = 0, out_channels = 0;
    int kernel_h = 0, kernel_w = 0;
    int stride_h = 1, stride_w = 1;
    int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;  // zeros
    int dilation_h = 1, dilation_w = 1;
    int groups = 1;
    std::vector<float> weight;              // [out][in / groups][kh][kw], as in torch
    std::vector<float> bias;                // [out], or empty
    Pointwise activation;                   // applied to the output, fused
};

struct Pool2d {
    enum Kind { Max, Average };
    Kind kind = Max;
    int kernel_h = 2, kernel_w = 2;
    int stride_h = 2, stride_w = 2;
    int pad_h = 0, pad_w = 0;               // both sides; max: -inf, average: see count_include_pad
    bool ceil_mode = false;
    bool count_include_pad = true;          // average only
};

struct AdaptiveAvgPool2d {
    int out_h = 1, out_w = 1;
};

struct Linear {
    int in_features = 0, out_features = 0;
    std::vector<float> weight;              // [out][in], as in torch
    std::vector<float> bias;                // [out], or empty
    Pointwise activation;                   // applied to the output, fused
};

// Inference-mode batch norm, per channel (spatial) or feature (flat): x * scale + shift.
struct BatchNorm {
    std::vector<float> scale, shift;
};

struct Flatten {};  // spatial -> flat, C,H,W order
struct Add {};      // two inputs of one shape
struct Concat {};   // two or more inputs, along channels (spatial) or features (flat)

using Op = std::variant<Conv2d, Pool2d, AdaptiveAvgPool2d, Linear, BatchNorm, Pointwise, Flatten, Add, Concat>;

inline constexpr int kInput = -1;

struct Node {
    Op op;
    std::vector<int> inputs;                // kInput or earlier node indices
};

enum class Activation { None, LogSoftmax, Softmax };

struct Plan {
    int channels = 1, height = 28, width = 28;  // input [N, C, H, W]
    std::vector<Node> nodes;
    Activation output = Activation::None;       // over the last node's output (flattened)

    // Appends `op` reading the previous node's output (or the input); returns its index.
    int then(Op op) {
        nodes.push_back({std::move(op), {nodes.empty() ? kInput : int(nodes.size()) - 1}});
        return int(nodes.size()) - 1;
    }
};

}  // namespace digitinfer::engine
