// A feed-forward network the native engine can run without libtorch: a
// sequence of layers with float32 weights copied out of a TorchScript module
// at load time (see network_plan.cpp). Tensors are NCHW; `Flatten` is implied
// by the first Linear after a spatial layer (torch.flatten(x, 1) order: C,H,W).
#pragma once

#include <variant>
#include <vector>

namespace digitinfer::engine {

struct Conv2d {
    int in_channels = 0, out_channels = 0;
    int kernel_h = 0, kernel_w = 0;         // stride 1, no padding, no dilation, groups 1
    std::vector<float> weight;              // [out][in][kh][kw], as in torch
    std::vector<float> bias;                // [out], or empty
    bool relu = false;                      // a following ReLU, fused
};

struct MaxPool2d {
    int kernel = 2;                         // kernel == stride, no padding, floor mode
};

struct Linear {
    int in_features = 0, out_features = 0;
    std::vector<float> weight;              // [out][in], as in torch
    std::vector<float> bias;                // [out], or empty
    bool relu = false;                      // a following ReLU, fused
};

enum class Activation { None, LogSoftmax, Softmax };

using Layer = std::variant<Conv2d, MaxPool2d, Linear>;

struct Plan {
    int channels = 1, height = 28, width = 28;  // input [N, C, H, W]
    std::vector<Layer> layers;
    Activation output = Activation::None;       // applied over the last dimension
};

}  // namespace digitinfer::engine
