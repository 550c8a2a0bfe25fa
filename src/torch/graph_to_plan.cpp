#include "torch/graph_to_plan.hpp"

#include <sstream>
#include <stdexcept>
#include <variant>

namespace digitinfer::core {
namespace {

using torch::jit::Node;
using torch::jit::Value;

[[noreturn]] void unsupported(const Node *node, const std::string &why) {
    std::ostringstream s;
    s << node->kind().toQualString() << ": " << why;
    throw std::invalid_argument(s.str());
}

c10::IValue constant(const Node *node, size_t input) {
    auto v = torch::jit::toIValue(node->input(input));
    if (!v) unsupported(node, "input " + std::to_string(input) + " is not a constant");
    return *v;
}

std::vector<float> floats(const at::Tensor &t) {
    const at::Tensor c = t.to(at::kFloat).contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

std::vector<float> optional_tensor(const Node *node, size_t input) {
    const c10::IValue v = constant(node, input);
    return v.isNone() ? std::vector<float>{} : floats(v.toTensor());
}

void expect_ints(const Node *node, size_t input, std::initializer_list<int64_t> allowed_each, const char *what) {
    for (int64_t x : constant(node, input).toIntVector()) {
        bool ok = false;
        for (int64_t a : allowed_each) ok = ok || x == a;
        if (!ok) unsupported(node, std::string(what) + " other than the native engine's");
    }
}

void expect_bool(const Node *node, size_t input, bool value, const char *what) {
    if (constant(node, input).toBool() != value) unsupported(node, what);
}

// Tracks the running activation's shape, [C, H, W] or [F] once flattened.
struct Shape {
    int c, h, w;
    bool flat = false;
    int features() const { return flat ? c : c * h * w; }
};

engine::Conv2d conv(const Node *node, Shape &shape) {
    // aten::conv2d(x, w, b, stride, padding, dilation, groups) or
    // aten::_convolution(x, w, b, stride, padding, dilation, transposed, output_padding, groups, ...)
    const bool legacy = node->kind() == c10::Symbol::fromQualString("aten::_convolution");
    expect_ints(node, 3, {1}, "stride");
    expect_ints(node, 4, {0}, "padding");
    expect_ints(node, 5, {1}, "dilation");
    if (legacy) expect_bool(node, 6, false, "transposed convolution");
    if (constant(node, legacy ? 8 : 6).toInt() != 1) unsupported(node, "grouped convolution");
    const at::Tensor w = constant(node, 1).toTensor();
    if (w.dim() != 4 || shape.flat || w.size(1) != shape.c) unsupported(node, "weight shape does not chain");
    engine::Conv2d c;
    c.in_channels = int(w.size(1));
    c.out_channels = int(w.size(0));
    c.kernel_h = int(w.size(2));
    c.kernel_w = int(w.size(3));
    c.weight = floats(w);
    c.bias = optional_tensor(node, 2);
    shape = {c.out_channels, shape.h - c.kernel_h + 1, shape.w - c.kernel_w + 1};
    if (shape.h < 1 || shape.w < 1) unsupported(node, "kernel larger than its input");
    return c;
}

engine::MaxPool2d pool(const Node *node, Shape &shape) {
    // aten::max_pool2d(x, kernel, stride, padding, dilation, ceil_mode)
    const auto kernel = constant(node, 1).toIntVector();
    const auto stride = constant(node, 2).toIntVector();
    if (kernel.size() != 2 || kernel[0] != kernel[1]) unsupported(node, "non-square kernel");
    if (!stride.empty() && stride != kernel) unsupported(node, "stride other than the kernel size");
    expect_ints(node, 3, {0}, "padding");
    expect_ints(node, 4, {1}, "dilation");
    expect_bool(node, 5, false, "ceil_mode");
    if (shape.flat) unsupported(node, "pooling after flatten");
    engine::MaxPool2d p;
    p.kernel = int(kernel[0]);
    shape = {shape.c, shape.h / p.kernel, shape.w / p.kernel};
    if (shape.h < 1 || shape.w < 1) unsupported(node, "kernel larger than its input");
    return p;
}

engine::Linear linear(const Node *node, Shape &shape) {
    const at::Tensor w = constant(node, 1).toTensor();
    if (!shape.flat || w.dim() != 2 || w.size(1) != shape.features()) unsupported(node, "weight shape does not chain");
    engine::Linear l;
    l.in_features = int(w.size(1));
    l.out_features = int(w.size(0));
    l.weight = floats(w);
    l.bias = optional_tensor(node, 2);
    shape = {l.out_features, 1, 1, true};
    return l;
}

bool is(const Node *node, const char *kind) { return node->kind() == c10::Symbol::fromQualString(kind); }

// The layer a ReLU can be fused into: a convolution or linear layer without one yet.
bool *relu_slot(std::vector<engine::Layer> &layers) {
    if (layers.empty()) return nullptr;
    bool *flag = nullptr;
    if (auto *c = std::get_if<engine::Conv2d>(&layers.back())) flag = &c->relu;
    if (auto *l = std::get_if<engine::Linear>(&layers.back())) flag = &l->relu;
    return flag && !*flag ? flag : nullptr;
}

}  // namespace

engine::Plan extract_plan(const torch::jit::Module &frozen, int channels, int height, int width) {
    auto graph = frozen.get_method("forward").graph();
    if (graph->inputs().size() != 2) throw std::invalid_argument("forward takes more than one input");
    engine::Plan plan;
    plan.channels = channels;
    plan.height = height;
    plan.width = width;
    Shape shape{channels, height, width};
    const Value *current = graph->inputs()[1];  // inputs()[0] is the module itself
    for (const Node *node : graph->nodes()) {
        if (is(node, "prim::Constant")) continue;
        if (node->inputs().empty() || node->input(0) != current || node->outputs().size() != 1)
            unsupported(node, "not a step of a single feed-forward chain");
        if (plan.output != engine::Activation::None) unsupported(node, "layer after the output activation");
        if (is(node, "aten::conv2d") || is(node, "aten::_convolution")) {
            plan.layers.emplace_back(conv(node, shape));
        } else if (is(node, "aten::max_pool2d")) {
            plan.layers.emplace_back(pool(node, shape));
        } else if (is(node, "aten::linear")) {
            if (!shape.flat) unsupported(node, "linear on a spatial tensor");
            plan.layers.emplace_back(linear(node, shape));
        } else if (is(node, "aten::relu") || is(node, "aten::relu_")) {
            bool *relu = relu_slot(plan.layers);
            if (!relu) unsupported(node, "ReLU not right after a convolution or linear layer");
            *relu = true;
        } else if (is(node, "aten::flatten")) {
            if (constant(node, 1).toInt() != 1 || constant(node, 2).toInt() != -1)
                unsupported(node, "flatten other than flatten(x, 1)");
            shape = {shape.features(), 1, 1, true};
        } else if (is(node, "aten::dropout") || is(node, "aten::feature_dropout")) {
            expect_bool(node, 2, false, "dropout in training mode");
        } else if (is(node, "aten::log_softmax") || is(node, "aten::softmax")) {
            const int64_t dim = constant(node, 1).toInt();
            if (!shape.flat || (dim != 1 && dim != -1)) unsupported(node, "softmax over a spatial dimension");
            if (!constant(node, 2).isNone()) unsupported(node, "dtype argument");
            plan.output = is(node, "aten::softmax") ? engine::Activation::Softmax : engine::Activation::LogSoftmax;
        } else {
            unsupported(node, "operator not supported by the native engine");
        }
        current = node->output();
    }
    if (graph->outputs().size() != 1 || graph->outputs()[0] != current)
        throw std::invalid_argument("forward does not return the end of the chain");
    if (!shape.flat) throw std::invalid_argument("forward does not end with a [N, classes] layer");
    return plan;
}

}  // namespace digitinfer::core
