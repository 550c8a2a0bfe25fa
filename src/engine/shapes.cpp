#include "shapes.hpp"

#include <cmath>
#include <cstdio>
#include <cstdint>
#include <stdexcept>
#include <type_traits>

#include "budgets.hpp"

namespace digitinfer::engine {
namespace {

constexpr std::size_t kMaxNodes = 4096;
constexpr int kMaxDimension = 1 << 16;

std::string short_number(double v) {  // 1.2e+10
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", v);
    return text;
}

struct Checker {
    std::string where;

    [[noreturn]] void fail(const std::string &what) const { throw std::invalid_argument("engine plan: " + where + what); }
    void positive(int v, const char *what) const {
        if (v < 1 || v > kMaxDimension) fail(std::string(what) + " " + std::to_string(v) + " out of range");
    }
    void non_negative(int v, const char *what) const {
        if (v < 0 || v > kMaxDimension) fail(std::string(what) + " " + std::to_string(v) + " out of range");
    }
    void count(std::size_t got, std::uint64_t expected, const char *what) const {
        if (got != expected)
            fail(std::string(what) + " has " + std::to_string(got) + " values, expected " + std::to_string(expected));
    }
    void bias(const std::vector<float> &b, int n) const {
        if (!b.empty()) count(b.size(), std::uint64_t(n), "bias");
        finite(b, "bias");
    }
    // NaN or inf in a weight would only ever predict NaN.
    void finite(const std::vector<float> &values, const char *what) const {
        for (std::size_t i = 0; i < values.size(); ++i)
            if (!std::isfinite(values[i]))
                fail(std::string(what) + " value " + std::to_string(i) + " is " +
                     (std::isnan(values[i]) ? "NaN" : "infinite"));
    }
    void finite(float v, const char *what) const {
        if (!std::isfinite(v)) fail(std::string(what) + " is not finite");
    }
    void bounded(std::uint64_t floats, const char *what) const {
        if (floats > kMaxFloats)
            fail(std::string(what) + " needs " + std::to_string(floats) + " floats, over the engine's limit of " +
                 std::to_string(kMaxFloats) + " per tensor");
    }
    // A spatial tensor as the runners store it, channels padded to the widest vector: at every
    // ISA alike (a model that loads on one machine loads on all), and also where a runner keeps
    // the input's channel count (a pooled input): a bound, not an exact size.
    void bounded_padded(std::uint64_t c, std::uint64_t h, std::uint64_t w, const char *what) const {
        const std::uint64_t cs = (c + kMaxVector - 1) / kMaxVector * kMaxVector;
        if (cs * h * w > kMaxFloats)
            fail(std::string(what) + " " + std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w) +
                 " needs " + std::to_string(cs * h * w) + " floats with its channels padded to " +
                 std::to_string(kMaxVector) + ", over the engine's limit of " + std::to_string(kMaxFloats) +
                 " per tensor");
    }
    void spatial(const TensorShape &in) const {
        if (in.flat) fail("needs a [C, H, W] input, gets [" + std::to_string(in.c) + "] features");
    }
    void pointwise(const Pointwise &p) const {
        if (p.kind < Pointwise::Identity || p.kind > Pointwise::Hardswish) fail("unknown activation");
        if (p.kind == Pointwise::Hardtanh) {  // a clamp: an infinite bound is no bound
            if (!(p.alpha <= p.beta)) fail("Hardtanh min above max, or NaN");
        } else {
            finite(p.alpha, "activation parameter alpha"), finite(p.beta, "activation parameter beta");
        }
    }
    // Output size of a window of k taps (dilation d) at stride s over n + padding.
    int windows(int n, int pad_sum, int k, int d, int s, bool ceil_mode, int pad_begin) const {
        const std::int64_t span = std::int64_t(n) + pad_sum - std::int64_t(d) * (k - 1) - 1;
        if (span < 0) fail("window larger than its padded input");
        std::int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
        if (ceil_mode && (out - 1) * s >= std::int64_t(n) + pad_begin) --out;  // the last window must start inside
        return int(out);
    }

    TensorShape conv(const Conv2d &c, const TensorShape &in) const {
        spatial(in);
        positive(c.in_channels, "in_channels"), positive(c.out_channels, "out_channels");
        positive(c.kernel_h, "kernel_h"), positive(c.kernel_w, "kernel_w");
        positive(c.stride_h, "stride_h"), positive(c.stride_w, "stride_w");
        positive(c.dilation_h, "dilation_h"), positive(c.dilation_w, "dilation_w");
        non_negative(c.pad_top, "pad_top"), non_negative(c.pad_left, "pad_left");
        non_negative(c.pad_bottom, "pad_bottom"), non_negative(c.pad_right, "pad_right");
        positive(c.groups, "groups");
        if (c.in_channels != in.c)
            fail("expects " + std::to_string(c.in_channels) + " input channels, gets " + std::to_string(in.c));
        if (c.in_channels % c.groups || c.out_channels % c.groups) fail("channels not divisible by groups");
        const std::uint64_t wsize =
            std::uint64_t(c.out_channels) * (c.in_channels / c.groups) * c.kernel_h * c.kernel_w;
        bounded(wsize * c.groups, "weight");
        count(c.weight.size(), wsize, "weight");
        finite(c.weight, "weight");
        bias(c.bias, c.out_channels);
        pointwise(c.activation);
        TensorShape out{false, c.out_channels,
                        windows(in.h, c.pad_top + c.pad_bottom, c.kernel_h, c.dilation_h, c.stride_h, false, 0),
                        windows(in.w, c.pad_left + c.pad_right, c.kernel_w, c.dilation_w, c.stride_w, false, 0)};
        if (c.pad_top || c.pad_left || c.pad_bottom || c.pad_right)  // the graph runner's zero-padded copy
            bounded_padded(std::uint64_t(in.c), std::uint64_t(in.h) + c.pad_top + c.pad_bottom,
                           std::uint64_t(in.w) + c.pad_left + c.pad_right, "zero-padded input");
        bounded(std::uint64_t(out.h) * out.w * c.kernel_h * c.kernel_w * in.c, "unrolled input");
        return out;
    }

    TensorShape pool(const Pool2d &p, const TensorShape &in) const {
        spatial(in);
        if (p.kind != Pool2d::Max && p.kind != Pool2d::Average) fail("unknown pooling");
        positive(p.kernel_h, "kernel_h"), positive(p.kernel_w, "kernel_w");
        positive(p.stride_h, "stride_h"), positive(p.stride_w, "stride_w");
        non_negative(p.pad_h, "pad_h"), non_negative(p.pad_w, "pad_w");
        if (2 * p.pad_h > p.kernel_h || 2 * p.pad_w > p.kernel_w) fail("padding over half the kernel");
        return {false, in.c, windows(in.h, 2 * p.pad_h, p.kernel_h, 1, p.stride_h, p.ceil_mode, p.pad_h),
                windows(in.w, 2 * p.pad_w, p.kernel_w, 1, p.stride_w, p.ceil_mode, p.pad_w)};
    }

    TensorShape node(const Node &node, const std::vector<TensorShape> &in) const {
        if (in.size() > 1 && !std::holds_alternative<Add>(node.op) && !std::holds_alternative<Concat>(node.op))
            fail("takes one input");
        const TensorShape out = std::visit([&](const auto &op) { return (*this)(op, in); }, node.op);
        if (out.flat)
            bounded(out.size(), "output");
        else
            bounded_padded(std::uint64_t(out.c), std::uint64_t(out.h), std::uint64_t(out.w), "output");
        return out;
    }

    TensorShape operator()(const Conv2d &c, const std::vector<TensorShape> &in) const { return conv(c, in[0]); }
    TensorShape operator()(const Pool2d &p, const std::vector<TensorShape> &in) const { return pool(p, in[0]); }
    TensorShape operator()(const AdaptiveAvgPool2d &p, const std::vector<TensorShape> &in) const {
        spatial(in[0]);
        positive(p.out_h, "out_h"), positive(p.out_w, "out_w");
        bounded(std::uint64_t(in[0].c) * p.out_h * p.out_w, "output");
        return {false, in[0].c, p.out_h, p.out_w};
    }
    TensorShape operator()(const Linear &l, const std::vector<TensorShape> &in) const {
        if (!in[0].flat) fail("needs a flat input: Flatten first");
        positive(l.in_features, "in_features"), positive(l.out_features, "out_features");
        if (std::size_t(l.in_features) != in[0].size())
            fail("expects " + std::to_string(l.in_features) + " input features, gets " + std::to_string(in[0].size()));
        bounded(std::uint64_t(l.out_features) * l.in_features, "weight");
        count(l.weight.size(), std::uint64_t(l.out_features) * l.in_features, "weight");
        finite(l.weight, "weight");
        bias(l.bias, l.out_features);
        pointwise(l.activation);
        return {true, l.out_features};
    }
    TensorShape operator()(const BatchNorm &b, const std::vector<TensorShape> &in) const {
        count(b.scale.size(), std::uint64_t(in[0].c), "scale");
        count(b.shift.size(), std::uint64_t(in[0].c), "shift");
        finite(b.scale, "scale"), finite(b.shift, "shift");
        return in[0];
    }
    TensorShape operator()(const Pointwise &p, const std::vector<TensorShape> &in) const {
        pointwise(p);
        return in[0];
    }
    TensorShape operator()(const Flatten &, const std::vector<TensorShape> &in) const {
        return {true, int(in[0].size())};
    }
    TensorShape operator()(const Add &, const std::vector<TensorShape> &in) const {
        if (in.size() != 2) fail("takes two inputs");
        const TensorShape &a = in[0], &b = in[1];
        if (a.flat != b.flat || a.c != b.c || a.h != b.h || a.w != b.w) fail("inputs of different shapes");
        return a;
    }
    TensorShape operator()(const Concat &, const std::vector<TensorShape> &in) const {
        if (in.size() < 2) fail("takes two or more inputs");
        TensorShape out = in[0];
        out.c = 0;
        for (const TensorShape &s : in) {
            if (s.flat != out.flat || s.h != out.h || s.w != out.w) fail("inputs of different sizes");
            out.c += s.c;
        }
        bounded(out.size(), "output");
        return out;
    }
};

// The node's share of kMaxOperations (budgets.hpp). A grouped convolution other
// than a depthwise one runs as the block-diagonal ungrouped one (graph_runner.cpp).
double operations(const Node &node, const std::vector<TensorShape> &in, const TensorShape &out) {
    const double outputs = double(out.size());
    if (const auto *c = std::get_if<Conv2d>(&node.op)) {
        const bool depthwise = c->groups > 1 && c->groups == c->in_channels && c->out_channels == c->in_channels;
        return 2.0 * outputs * c->kernel_h * c->kernel_w * (depthwise ? 1 : c->in_channels);
    }
    if (const auto *p = std::get_if<Pool2d>(&node.op)) return outputs * p->kernel_h * p->kernel_w;
    if (std::holds_alternative<AdaptiveAvgPool2d>(node.op))  // bins overlap by at most a row and a column
        return double(in[0].c) * (double(in[0].h) + out.h) * (double(in[0].w) + out.w);
    if (const auto *l = std::get_if<Linear>(&node.op)) return 2.0 * l->in_features * l->out_features;
    return outputs * double(in.size());
}

}  // namespace

const char *op_name(const Op &op) {
    static const char *const names[] = {"Conv2d", "Pool2d", "AdaptiveAvgPool2d", "Linear", "BatchNorm",
                                        "Pointwise", "Flatten", "Add", "Concat"};
    static_assert(std::variant_size_v<Op> == sizeof names / sizeof *names);
    return names[op.index()];
}

std::vector<TensorShape> infer_shapes(const Plan &plan) {
    Checker check;
    check.positive(plan.channels, "input channels"), check.positive(plan.height, "input height");
    check.positive(plan.width, "input width");
    const TensorShape input{false, plan.channels, plan.height, plan.width};
    check.bounded(input.size(), "input");
    if (plan.nodes.size() > kMaxNodes) check.fail("more than 4096 nodes");
    if (plan.output != Activation::None && plan.output != Activation::LogSoftmax && plan.output != Activation::Softmax)
        check.fail("unknown output activation");
    std::vector<TensorShape> shapes;
    shapes.reserve(plan.nodes.size());
    double ops = double(input.size());
    for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
        const Node &node = plan.nodes[i];
        check.where = "node " + std::to_string(i) + " (" + op_name(node.op) + "): ";
        if (node.inputs.empty()) check.fail("no input");
        std::vector<TensorShape> in;
        for (int j : node.inputs) {
            if (j != kInput && (j < 0 || std::size_t(j) >= i)) check.fail("input " + std::to_string(j) + " not an earlier node");
            in.push_back(j == kInput ? input : shapes[std::size_t(j)]);
        }
        shapes.push_back(check.node(node, in));
        ops += operations(node, in, shapes.back());
    }
    check.where.clear();
    if (ops > kMaxOperations)
        check.fail("needs " + short_number(ops) + " operations per image, over the engine's limit of " +
                   short_number(kMaxOperations));
    return shapes;
}

TensorShape output_shape(const Node &node, const std::vector<TensorShape> &inputs) {
    Checker check;
    check.where = std::string(op_name(node.op)) + ": ";
    if (inputs.empty()) check.fail("no input");
    return check.node(node, inputs);
}

}  // namespace digitinfer::engine
