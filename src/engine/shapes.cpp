#include "shapes.hpp"

#include <cstdint>
#include <stdexcept>
#include <type_traits>

namespace digitinfer::engine {
namespace {

// Per tensor and per weight (padding to the vector width can add up to 16x): bounds the
// scratch a small hostile plan can demand (docs/robustness.md) and keeps sizes in int range.
constexpr std::uint64_t kMaxFloats = std::uint64_t(1) << 24;
constexpr std::size_t kMaxNodes = 4096;
constexpr int kMaxDimension = 1 << 16;

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
    }
    void bounded(std::uint64_t floats, const char *what) const {
        if (floats > kMaxFloats) fail(std::string(what) + " too large");
    }
    void spatial(const TensorShape &in) const {
        if (in.flat) fail("needs a [C, H, W] input, gets [" + std::to_string(in.c) + "] features");
    }
    void pointwise(const Pointwise &p) const {
        if (p.kind < Pointwise::Identity || p.kind > Pointwise::Hardswish) fail("unknown activation");
        if (p.kind == Pointwise::Hardtanh && !(p.alpha <= p.beta)) fail("Hardtanh min above max");
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
        bias(c.bias, c.out_channels);
        pointwise(c.activation);
        TensorShape out{false, c.out_channels,
                        windows(in.h, c.pad_top + c.pad_bottom, c.kernel_h, c.dilation_h, c.stride_h, false, 0),
                        windows(in.w, c.pad_left + c.pad_right, c.kernel_w, c.dilation_w, c.stride_w, false, 0)};
        bounded(std::uint64_t(in.h + c.pad_top + c.pad_bottom) * (in.w + c.pad_left + c.pad_right) * in.c, "input");
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
        bounded(out.size(), "output");
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
        bias(l.bias, l.out_features);
        pointwise(l.activation);
        return {true, l.out_features};
    }
    TensorShape operator()(const BatchNorm &b, const std::vector<TensorShape> &in) const {
        count(b.scale.size(), std::uint64_t(in[0].c), "scale");
        count(b.shift.size(), std::uint64_t(in[0].c), "shift");
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
    }
    return shapes;
}

TensorShape output_shape(const Node &node, const std::vector<TensorShape> &inputs) {
    Checker check;
    check.where = std::string(op_name(node.op)) + ": ";
    if (inputs.empty()) check.fail("no input");
    return check.node(node, inputs);
}

}  // namespace digitinfer::engine
