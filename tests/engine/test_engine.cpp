// The native engine against a naive double-precision reference, at every
// instruction-set level this CPU supports, for several plans, batch sizes and
// thread counts; plus plan validation, DIGITINFER_ISA, concurrent callers and
// allocation-free steady state.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "engine/budgets.hpp"
#include "engine/engine.hpp"
#include "engine/runner.hpp"

using namespace digitinfer::engine;

// ---------------------------------------------------------------- allocation counting

namespace {
thread_local std::size_t tls_news = 0;
}

__attribute__((noinline)) void *operator new(std::size_t n) {
    ++tls_news;
    if (void *p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
__attribute__((noinline)) void *operator new(std::size_t n, const std::nothrow_t &) noexcept {
    ++tls_news;
    return std::malloc(n ? n : 1);
}
// The matching deletes (and the nothrow new above, which Catch uses): libstdc++'s free with
// std::free too, but AddressSanitizer replaces those and reports memory from these news freed
// by them, or the reverse, as an alloc-dealloc mismatch before main.
__attribute__((noinline)) void operator delete(void *p) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete(void *p, std::size_t) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete(void *p, const std::nothrow_t &) noexcept { std::free(p); }

namespace {

// ---------------------------------------------------------------- plans

struct Rng {
    std::mt19937 gen;
    explicit Rng(unsigned seed) : gen(seed) {}
    float uniform(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(gen); }
    std::vector<float> fill(std::size_t n, float scale) {
        std::vector<float> v(n);
        for (float &x : v) x = uniform(-scale, scale);
        return v;
    }
};

// torch's default initialisation range: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
Conv2d conv(Rng &rng, int in, int out, int kh, int kw, bool relu, bool bias = true) {
    Conv2d c;
    c.in_channels = in, c.out_channels = out, c.kernel_h = kh, c.kernel_w = kw;
    if (relu) c.activation.kind = Pointwise::ReLU;
    const float s = 1.0f / std::sqrt(float(in * kh * kw));
    c.weight = rng.fill(std::size_t(out) * in * kh * kw, s);
    if (bias) c.bias = rng.fill(std::size_t(out), s);
    return c;
}

Linear linear(Rng &rng, int in, int out, bool relu, bool bias = true) {
    Linear l;
    l.in_features = in, l.out_features = out;
    if (relu) l.activation.kind = Pointwise::ReLU;
    const float s = 1.0f / std::sqrt(float(in));
    l.weight = rng.fill(std::size_t(out) * in, s);
    if (bias) l.bias = rng.fill(std::size_t(out), s);
    return l;
}

Pool2d pool(int k) {
    Pool2d p;
    p.kernel_h = p.kernel_w = p.stride_h = p.stride_w = k;
    return p;
}

// A chain of ops; a Flatten goes in before the first Linear after spatial layers (or the input).
void set_chain(Plan &p, std::vector<Op> ops) {
    p.nodes.clear();
    bool flat = false;
    for (Op &op : ops) {
        if (std::holds_alternative<Linear>(op) && !flat) p.then(Flatten{});
        flat = flat || std::holds_alternative<Linear>(op);
        p.then(std::move(op));
    }
}

// SPEC §3: the handwritten-digit ConvNet.
Plan spec_convnet(unsigned seed) {
    Rng rng(seed);
    Plan p;
    p.channels = 1, p.height = 28, p.width = 28;
    set_chain(p, {conv(rng, 1, 16, 3, 3, true), conv(rng, 16, 32, 3, 3, true), pool(2),
                linear(rng, 32 * 12 * 12, 64, true), linear(rng, 64, 10, false)});
    p.output = Activation::LogSoftmax;
    return p;
}

struct NamedPlan {
    std::string name;
    Plan plan;
};

std::vector<NamedPlan> test_plans() {
    std::vector<NamedPlan> plans;
    plans.push_back({"spec convnet", spec_convnet(1)});
    {
        Rng rng(2);  // 3 input channels, 5x5, odd channel counts, pool 3, softmax, non-square input
        Plan p;
        p.channels = 3, p.height = 23, p.width = 19;
        set_chain(p, {conv(rng, 3, 7, 5, 5, true), pool(3), conv(rng, 7, 20, 3, 3, false),
                    linear(rng, 20 * 4 * 3, 33, true), linear(rng, 33, 5, false)});
        p.output = Activation::Softmax;
        plans.push_back({"3ch 5x5 pool3 softmax", p});
    }
    {
        Rng rng(3);  // wide rows and many channels: several tiles and panels per row; no bias; 1x1 and 2x4 kernels
        Plan p;
        p.channels = 2, p.height = 9, p.width = 37;
        set_chain(p, {conv(rng, 2, 40, 2, 4, true, false), conv(rng, 40, 48, 1, 1, true), pool(2),
                    conv(rng, 48, 17, 3, 3, false), linear(rng, 17 * 2 * 15, 100, true, false),
                    linear(rng, 100, 70, true), linear(rng, 70, 3, false)});
        p.output = Activation::LogSoftmax;
        plans.push_back({"wide, 40/48/17 channels, 1x1 and 2x4", p});
    }
    {
        Rng rng(4);  // pooling first, pool after pool, no ReLU anywhere, no activation
        Plan p;
        p.channels = 3, p.height = 30, p.width = 26;
        set_chain(p, {pool(2), conv(rng, 3, 16, 3, 3, false), pool(2), pool(3), linear(rng, 16 * 2 * 1, 12, false)});
        p.output = Activation::None;
        plans.push_back({"pool first, pool after pool, no relu", p});
    }
    {
        Rng rng(5);  // a multilayer perceptron straight on the NCHW input
        Plan p;
        p.channels = 2, p.height = 5, p.width = 7;
        set_chain(p, {linear(rng, 70, 31, true), linear(rng, 31, 9, false)});
        p.output = Activation::LogSoftmax;
        plans.push_back({"mlp", p});
    }
    {
        Rng rng(6);  // spatial layers only: the output is the last map, flattened C,H,W
        Plan p;
        p.channels = 1, p.height = 12, p.width = 14;
        set_chain(p, {conv(rng, 1, 5, 3, 3, true), pool(2), conv(rng, 5, 32, 3, 3, false)});
        p.output = Activation::None;
        plans.push_back({"spatial only", p});
    }
    {
        Rng rng(7);  // 32 -> 32 channels (the CS = 32 kernels), single-row output, pool 4
        Plan p;
        p.channels = 1, p.height = 11, p.width = 29;
        set_chain(p, {conv(rng, 1, 32, 3, 3, true), conv(rng, 32, 32, 3, 5, true), pool(4),
                    linear(rng, 32 * 1 * 5, 10, false)});
        p.output = Activation::LogSoftmax;
        plans.push_back({"32 channels, pool 4, one output row", p});
    }
    {
        Rng rng(8);  // a first Linear 57 -> 64 wide (the AVX-512 conv side job), after an unpooled 2x2 conv
        Plan p;
        p.channels = 1, p.height = 12, p.width = 11;
        set_chain(p, {conv(rng, 1, 32, 2, 2, true), linear(rng, 32 * 11 * 10, 57, true), linear(rng, 57, 4, false)});
        p.output = Activation::LogSoftmax;
        plans.push_back({"side job, unpooled 2x2 conv", p});
    }
    {
        Rng rng(9);  // the same after a pooled conv with padded channels (24 of 32)
        Plan p;
        p.channels = 3, p.height = 14, p.width = 13;
        set_chain(p, {conv(rng, 3, 20, 3, 3, false), conv(rng, 20, 24, 2, 2, true), pool(2),
                    linear(rng, 24 * 5 * 5, 64, false), linear(rng, 64, 4, false)});
        p.output = Activation::LogSoftmax;
        plans.push_back({"side job, pooled, padded channels", p});
    }
    return plans;
}


// Plans for the graph runner: every op, DAGs, padding, strides, groups.
Pointwise act(Pointwise::Kind kind, float alpha = 0, float beta = 0) { return {kind, alpha, beta}; }

Conv2d conv_ex(Rng &rng, int in, int out, int k, int stride, int pad, int dilation, int groups, Pointwise a) {
    Conv2d c = conv(rng, in / groups, out, k, k, false);
    c.in_channels = in, c.groups = groups, c.stride_h = c.stride_w = stride, c.dilation_h = c.dilation_w = dilation;
    c.pad_top = c.pad_left = c.pad_bottom = c.pad_right = pad;
    c.activation = a;
    return c;
}

BatchNorm batch_norm(Rng &rng, int n) {
    BatchNorm b;
    b.scale = rng.fill(std::size_t(n), 1.5f);
    b.shift = rng.fill(std::size_t(n), 0.5f);
    return b;
}

Pool2d pool_ex(Pool2d::Kind kind, int k, int stride, int pad, bool ceil_mode, bool count_include_pad = true) {
    Pool2d p;
    p.kind = kind, p.kernel_h = p.kernel_w = k, p.stride_h = p.stride_w = stride, p.pad_h = p.pad_w = pad;
    p.ceil_mode = ceil_mode, p.count_include_pad = count_include_pad;
    return p;
}

int add_node(Plan &p, Op op, std::vector<int> inputs) {
    p.nodes.push_back({std::move(op), std::move(inputs)});
    return int(p.nodes.size()) - 1;
}

std::vector<NamedPlan> graph_plans() {
    std::vector<NamedPlan> plans;
    {
        Rng rng(21);  // residual add, channel concat, a map used twice, batch norm, depthwise, dilation, pools
        Plan p;
        p.channels = 1, p.height = 13, p.width = 12;
        const int a = add_node(p, conv_ex(rng, 1, 8, 3, 1, 1, 1, 1, act(Pointwise::SiLU)), {kInput});
        const int b = add_node(p, batch_norm(rng, 8), {a});
        const int c = add_node(p, conv_ex(rng, 8, 8, 3, 1, 1, 1, 1, act(Pointwise::ReLU)), {b});
        const int d = add_node(p, Add{}, {c, b});
        const int e = add_node(p, conv_ex(rng, 8, 8, 3, 2, 1, 1, 8, act(Pointwise::Hardtanh, 0, 6)), {d});
        const int f = add_node(p, conv_ex(rng, 8, 6, 1, 1, 0, 1, 1, act(Pointwise::LeakyReLU, 0.1f)), {e});
        const int g = add_node(p, conv_ex(rng, 8, 4, 3, 1, 2, 2, 1, act(Pointwise::ELU, 0.7f)), {e});
        const int h = add_node(p, Concat{}, {f, g, e});
        const int i = add_node(p, pool_ex(Pool2d::Max, 3, 2, 1, true), {h});
        const int j = add_node(p, pool_ex(Pool2d::Average, 2, 1, 1, true, false), {i});
        const int k = add_node(p, AdaptiveAvgPool2d{3, 2}, {j});
        const int l = add_node(p, Flatten{}, {k});
        Linear fc1 = linear(rng, 18 * 6, 24, false);
        fc1.activation = act(Pointwise::GELU);
        const int m = add_node(p, fc1, {l});
        const int n = add_node(p, batch_norm(rng, 24), {m});
        Linear fc2 = linear(rng, 24, 16, false);
        fc2.activation = act(Pointwise::Hardswish);
        const int o = add_node(p, fc2, {n});
        const int q = add_node(p, act(Pointwise::Tanh), {o});
        const int r = add_node(p, act(Pointwise::Sigmoid), {q});
        add_node(p, linear(rng, 16, 10, false), {r});
        p.output = Activation::LogSoftmax;
        plans.push_back({"graph: residual, concat, bn, depthwise, dilation, pools", p});
    }
    {
        Rng rng(22);  // 3 channels; channel multiplier 2 and groups 2 (block-diagonal), strided unrolled conv,
                      // asymmetric padding, global average, softmax
        Plan p;
        p.channels = 3, p.height = 15, p.width = 13;
        p.then(conv_ex(rng, 3, 6, 3, 1, 1, 1, 3, act(Pointwise::ReLU)));
        Conv2d c = conv_ex(rng, 6, 10, 3, 2, 0, 1, 2, act(Pointwise::GELUTanh));
        c.pad_top = 1, c.pad_left = 2, c.pad_bottom = 0, c.pad_right = 1;
        p.then(c);
        p.then(conv_ex(rng, 10, 12, 2, 1, 0, 1, 1, act(Pointwise::Identity)));
        p.then(BatchNorm(batch_norm(rng, 12)));
        p.then(AdaptiveAvgPool2d{1, 1});
        p.then(Flatten{});
        p.then(linear(rng, 12, 7, false));
        p.output = Activation::Softmax;
        plans.push_back({"graph: groups, strided, asymmetric padding, global average", p});
    }
    {
        Rng rng(23);  // an MLP with a flat residual and concat; the same Flatten used twice; raw logits
        Plan p;
        p.channels = 2, p.height = 5, p.width = 7;
        const int f = add_node(p, Flatten{}, {kInput});
        const int a = add_node(p, linear(rng, 70, 20, true), {f});
        Linear l2 = linear(rng, 70, 20, false);
        l2.activation = act(Pointwise::Tanh);
        const int b = add_node(p, l2, {f});
        const int c = add_node(p, Add{}, {a, b});
        const int d = add_node(p, Concat{}, {c, a});
        const int e = add_node(p, batch_norm(rng, 40), {d});
        add_node(p, linear(rng, 40, 5, false), {e});
        p.output = Activation::None;
        plans.push_back({"graph: mlp with flat add and concat", p});
    }
    {
        Rng rng(24);  // pooling straight on a 3-channel input (channel tails), padded windows; spatial output
        Plan p;
        p.channels = 3, p.height = 11, p.width = 9;
        p.then(pool_ex(Pool2d::Max, 3, 1, 1, false));
        p.then(pool_ex(Pool2d::Average, 3, 2, 1, false, true));
        p.then(conv_ex(rng, 3, 5, 3, 1, 1, 1, 1, act(Pointwise::Hardtanh, -0.5f, 0.5f)));
        p.then(batch_norm(rng, 5));
        p.then(act(Pointwise::ReLU));
        p.output = Activation::None;
        plans.push_back({"graph: pools on the input, spatial output", p});
    }
    {
        Rng rng(25);  // flat ops straight on the input's rows (stride 30, unpadded) mixed with padded ones
        Plan p;
        p.channels = 2, p.height = 3, p.width = 5;
        const int f = add_node(p, Flatten{}, {kInput});
        const int a = add_node(p, act(Pointwise::Sigmoid), {f});
        const int b = add_node(p, batch_norm(rng, 30), {a});
        const int c = add_node(p, Add{}, {b, f});
        const int d = add_node(p, linear(rng, 30, 30, true), {f});
        const int e = add_node(p, Add{}, {d, c});
        const int g = add_node(p, Concat{}, {e, f});
        add_node(p, linear(rng, 60, 4, false), {g});
        p.output = Activation::LogSoftmax;
        plans.push_back({"graph: flat ops on the input rows", p});
    }
    return plans;
}

// ---------------------------------------------------------------- reference

// A tensor of the reference: [C, H, W] or [F] (h = w = 1, flat), in double.
struct Map {
    bool flat = false;
    int c = 0, h = 1, w = 1;
    std::vector<double> v;  // C,H,W order
    double at(int ch, int y, int x) const { return v[(std::size_t(ch) * h + y) * w + x]; }
};

double pointwise(const Pointwise &p, double x) {
    switch (p.kind) {
        case Pointwise::Identity: return x;
        case Pointwise::ReLU: return x < 0 ? 0.0 : x;
        case Pointwise::LeakyReLU: return x < 0 ? x * p.alpha : x;
        case Pointwise::ELU: return x < 0 ? p.alpha * std::expm1(x) : x;
        case Pointwise::GELU: return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
        case Pointwise::GELUTanh: return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
        case Pointwise::SiLU: return x / (1.0 + std::exp(-x));
        case Pointwise::Sigmoid: return 1.0 / (1.0 + std::exp(-x));
        case Pointwise::Tanh: return std::tanh(x);
        case Pointwise::Hardtanh: return std::min(double(p.beta), std::max(double(p.alpha), x));
        case Pointwise::Hardswish: return x * std::min(6.0, std::max(0.0, x + 3.0)) / 6.0;
    }
    return x;
}

// torch's output size of a window (kernel k, dilation d, stride s) over n with paddings.
int out_size(int n, int pad_begin, int pad_end, int k, int d, int s, bool ceil_mode) {
    const int span = n + pad_begin + pad_end - d * (k - 1) - 1;
    int o = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    if (ceil_mode && (o - 1) * s >= n + pad_begin) --o;
    return o;
}

struct Reference {
    Map operator()(const Conv2d &c, const std::vector<Map> &in) const {
        const Map &m = in[0];
        Map o{false, c.out_channels,
              out_size(m.h, c.pad_top, c.pad_bottom, c.kernel_h, c.dilation_h, c.stride_h, false),
              out_size(m.w, c.pad_left, c.pad_right, c.kernel_w, c.dilation_w, c.stride_w, false), {}};
        o.v.assign(std::size_t(o.c) * o.h * o.w, 0.0);
        const int gi = c.in_channels / c.groups, go = c.out_channels / c.groups;
        for (int oc = 0; oc < o.c; ++oc)
            for (int y = 0; y < o.h; ++y)
                for (int x = 0; x < o.w; ++x) {
                    double s = c.bias.empty() ? 0.0 : c.bias[oc];
                    for (int j = 0; j < gi; ++j)
                        for (int ky = 0; ky < c.kernel_h; ++ky)
                            for (int kx = 0; kx < c.kernel_w; ++kx) {
                                const int iy = y * c.stride_h - c.pad_top + ky * c.dilation_h;
                                const int ix = x * c.stride_w - c.pad_left + kx * c.dilation_w;
                                if (iy < 0 || iy >= m.h || ix < 0 || ix >= m.w) continue;
                                s += double(c.weight[((std::size_t(oc) * gi + j) * c.kernel_h + ky) * c.kernel_w + kx]) *
                                     m.at(oc / go * gi + j, iy, ix);
                            }
                    o.v[(std::size_t(oc) * o.h + y) * o.w + x] = pointwise(c.activation, s);
                }
        return o;
    }
    Map operator()(const Pool2d &p, const std::vector<Map> &in) const {
        const Map &m = in[0];
        Map o{false, m.c, out_size(m.h, p.pad_h, p.pad_h, p.kernel_h, 1, p.stride_h, p.ceil_mode),
              out_size(m.w, p.pad_w, p.pad_w, p.kernel_w, 1, p.stride_w, p.ceil_mode), {}};
        for (int ch = 0; ch < o.c; ++ch)
            for (int y = 0; y < o.h; ++y)
                for (int x = 0; x < o.w; ++x) {
                    const int y0 = y * p.stride_h - p.pad_h, x0 = x * p.stride_w - p.pad_w;
                    double best = -INFINITY, sum = 0;
                    int count = 0;
                    for (int iy = std::max(y0, 0); iy < std::min(y0 + p.kernel_h, m.h); ++iy)
                        for (int ix = std::max(x0, 0); ix < std::min(x0 + p.kernel_w, m.w); ++ix)
                            best = std::max(best, m.at(ch, iy, ix)), sum += m.at(ch, iy, ix), ++count;
                    const int padded = (std::min(y0 + p.kernel_h, m.h + p.pad_h) - y0) *
                                       (std::min(x0 + p.kernel_w, m.w + p.pad_w) - x0);
                    o.v.push_back(p.kind == Pool2d::Max ? best : sum / (p.count_include_pad ? padded : count));
                }
        return o;
    }
    Map operator()(const AdaptiveAvgPool2d &p, const std::vector<Map> &in) const {
        const Map &m = in[0];
        Map o{false, m.c, p.out_h, p.out_w, {}};
        for (int ch = 0; ch < m.c; ++ch)
            for (int y = 0; y < o.h; ++y)
                for (int x = 0; x < o.w; ++x) {
                    const long y0 = long(y) * m.h / o.h, y1 = (long(y + 1) * m.h + o.h - 1) / o.h;
                    const long x0 = long(x) * m.w / o.w, x1 = (long(x + 1) * m.w + o.w - 1) / o.w;
                    double sum = 0;
                    for (long iy = y0; iy < y1; ++iy)
                        for (long ix = x0; ix < x1; ++ix) sum += m.at(ch, int(iy), int(ix));
                    o.v.push_back(sum / ((y1 - y0) * (x1 - x0)));
                }
        return o;
    }
    Map operator()(const Linear &l, const std::vector<Map> &in) const {
        Map o{true, l.out_features, 1, 1, {}};
        for (int n = 0; n < l.out_features; ++n) {
            double s = l.bias.empty() ? 0.0 : l.bias[n];
            for (int k = 0; k < l.in_features; ++k) s += double(l.weight[std::size_t(n) * l.in_features + k]) * in[0].v[k];
            o.v.push_back(pointwise(l.activation, s));
        }
        return o;
    }
    Map operator()(const BatchNorm &b, const std::vector<Map> &in) const {
        Map o = in[0];
        const std::size_t plane = std::size_t(o.h) * o.w;
        for (std::size_t i = 0; i < o.v.size(); ++i) o.v[i] = o.v[i] * b.scale[i / plane] + b.shift[i / plane];
        return o;
    }
    Map operator()(const Pointwise &p, const std::vector<Map> &in) const {
        Map o = in[0];
        for (double &x : o.v) x = pointwise(p, x);
        return o;
    }
    Map operator()(const Flatten &, const std::vector<Map> &in) const {
        return {true, int(in[0].v.size()), 1, 1, in[0].v};
    }
    Map operator()(const Add &, const std::vector<Map> &in) const {
        Map o = in[0];
        for (std::size_t i = 0; i < o.v.size(); ++i) o.v[i] += in[1].v[i];
        return o;
    }
    Map operator()(const Concat &, const std::vector<Map> &in) const {
        Map o = in[0];
        o.c = 0, o.v.clear();
        for (const Map &m : in) o.c += m.c, o.v.insert(o.v.end(), m.v.begin(), m.v.end());  // C,H,W: channels stack
        return o;
    }
};

std::vector<double> reference(const Plan &plan, const float *input) {
    const Map x{false, plan.channels, plan.height, plan.width,
                std::vector<double>(input, input + std::size_t(plan.channels) * plan.height * plan.width)};
    std::vector<Map> outs;
    for (const Node &node : plan.nodes) {
        std::vector<Map> in;
        for (int j : node.inputs) in.push_back(j == kInput ? x : outs[std::size_t(j)]);
        outs.push_back(std::visit([&](const auto &op) { return Reference{}(op, in); }, node.op));
    }
    std::vector<double> flat = outs.empty() ? x.v : outs.back().v;
    if (plan.output != Activation::None) {
        double mx = -INFINITY, sum = 0;
        for (double v : flat) mx = std::max(mx, v);
        for (double v : flat) sum += std::exp(v - mx);
        for (double &v : flat) v = plan.output == Activation::LogSoftmax ? v - mx - std::log(sum) : std::exp(v - mx) / sum;
    }
    return flat;
}

std::vector<Isa> supported_isas() {
    std::vector<Isa> isas;
    for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512})
        if (int(isa) <= int(best_supported_isa())) isas.push_back(isa);
    return isas;
}

std::vector<float> random_inputs(std::size_t n, unsigned seed) {
    Rng rng(seed);
    return rng.fill(n, 1.0f);
}

// Max |engine - reference| over a batch, relative to max(1, |reference|).
double max_error(const Plan &plan, const Engine &engine, const std::vector<float> &in, const std::vector<float> &out,
                 std::size_t n) {
    double worst = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::vector<double> ref = reference(plan, in.data() + i * engine.num_inputs());
        REQUIRE(ref.size() == engine.num_outputs());
        for (std::size_t j = 0; j < ref.size(); ++j) {
            const double got = out[i * ref.size() + j];
            const double err = std::abs(got - ref[j]) / std::max(1.0, std::abs(ref[j]));
            if (!(err <= worst)) worst = err;  // NaN propagates
        }
    }
    return worst;
}

constexpr double kTolerance = 1e-5;

struct ScopedEnv {
    std::string name;
    std::string old;
    bool had;
    ScopedEnv(const char *n, const char *value) : name(n) {
        const char *o = std::getenv(n);
        had = o != nullptr;
        if (had) old = o;
        setenv(n, value, 1);
    }
    ~ScopedEnv() {
        if (had) setenv(name.c_str(), old.c_str(), 1);
        else unsetenv(name.c_str());
    }
};

}  // namespace

// ---------------------------------------------------------------- tests

TEST_CASE("engine matches a double-precision reference at every ISA level") {
    std::vector<NamedPlan> plans = test_plans();
    for (NamedPlan &np : graph_plans()) plans.push_back(std::move(np));
    for (const NamedPlan &np : plans) {
        for (Isa isa : supported_isas()) {
            const auto engine = Engine::create(np.plan, isa);
            REQUIRE(engine->isa() == isa);
            for (std::size_t n : {1, 3, 17}) {
                const std::vector<float> in = random_inputs(n * engine->num_inputs(), unsigned(n) * 31 + 7);
                for (int threads : {1, 2}) {
                    INFO(np.name << ", " << isa_name(isa) << ", batch " << n << ", threads " << threads);
                    std::vector<float> out(n * engine->num_outputs(), NAN);
                    engine->forward(in.data(), n, out.data(), threads);
                    CHECK(max_error(np.plan, *engine, in, out, n) < kTolerance);
                }
            }
        }
    }
}

TEST_CASE("engine output sizes and activations") {
    const Plan plan = spec_convnet(11);
    const auto engine = Engine::create(plan);
    CHECK(engine->num_inputs() == 784);
    CHECK(engine->num_outputs() == 10);
    CHECK(engine->flops_per_image() == Approx(2.0 * (26 * 26 * 16 * 9 + 24 * 24 * 32 * 16 * 9 + 4608 * 64 + 640)));
    const std::vector<float> in = random_inputs(2 * 784, 5);
    std::vector<float> out(20);
    engine->forward(in.data(), 2, out.data(), 1);
    for (int i = 0; i < 2; ++i) {
        double s = 0;
        for (int j = 0; j < 10; ++j) s += std::exp(double(out[i * 10 + j]));
        CHECK(s == Approx(1.0).epsilon(1e-5));
    }
    engine->forward(in.data(), 0, nullptr, 2);  // nothing to do
}

TEST_CASE("engine results do not depend on batch position or image-split threads") {
    const Plan plan = spec_convnet(12);
    for (Isa isa : supported_isas()) {
        INFO(isa_name(isa));
        const auto engine = Engine::create(plan, isa);
        const std::size_t n = 37;
        const std::vector<float> in = random_inputs(n * 784, 99);
        std::vector<float> all(n * 10), one(10), par(n * 10);
        engine->forward(in.data(), n, all.data(), 1);
        engine->forward(in.data(), n, par.data(), 2);
        CHECK(all == par);  // whole images per thread: bit-identical
        for (std::size_t i = 0; i < n; i += 6) {
            engine->forward(in.data() + i * 784, 1, one.data(), 1);
            for (int j = 0; j < 10; ++j) CHECK(one[j] == Approx(all[i * 10 + j]).margin(1e-5));
        }
    }
}

TEST_CASE("engine forward is safe from concurrent threads") {
    const Plan plan = spec_convnet(13);
    const auto engine = Engine::create(plan);
    const std::size_t n = 5;
    constexpr int kCallers = 4, kRounds = 6;
    std::vector<std::vector<float>> inputs, expected;
    for (int c = 0; c < kCallers; ++c) {
        inputs.push_back(random_inputs(n * 784, 1000 + c));
        expected.emplace_back(n * 10);
        engine->forward(inputs[c].data(), n, expected[c].data(), 1);
    }
    std::atomic<int> mismatches{0};
    std::vector<std::thread> callers;
    for (int c = 0; c < kCallers; ++c)
        callers.emplace_back([&, c] {
            std::vector<float> out(n * 10), single(10);
            for (int r = 0; r < kRounds; ++r) {
                const int threads = 1 + (r + c) % 2;
                engine->forward(inputs[c].data(), n, out.data(), threads);
                if (out != expected[c]) ++mismatches;
                engine->forward(inputs[c].data() + 784, 1, single.data(), threads);  // 2 threads: split image
                for (int j = 0; j < 10; ++j)
                    if (std::abs(single[j] - expected[c][10 + j]) > 1e-5f) ++mismatches;
            }
        });
    for (auto &t : callers) t.join();
    CHECK(mismatches == 0);
}

TEST_CASE("engine forward does not allocate in steady state") {
    const Plan plan = spec_convnet(14);
    const auto engine = Engine::create(plan);
    const std::vector<float> in = random_inputs(40 * 784, 3);
    std::vector<float> out(40 * 10);
    engine->forward(in.data(), 40, out.data(), 1);  // grows this thread's scratch
    const std::size_t before = tls_news;
    for (std::size_t n : {1, 7, 40}) engine->forward(in.data(), n, out.data(), 1);
    CHECK(tls_news == before);
}

TEST_CASE("DIGITINFER_ISA lowers the level, never raises it") {
    const Plan plan = spec_convnet(15);
    const Isa best = best_supported_isa();
    {
        ScopedEnv env("DIGITINFER_ISA", "scalar");
        CHECK(default_isa() == Isa::Scalar);
        CHECK(Engine::create(plan)->isa() == Isa::Scalar);
    }
    {
        ScopedEnv env("DIGITINFER_ISA", "avx2");
        CHECK(int(default_isa()) == std::min(int(best), int(Isa::Avx2)));
    }
    {
        ScopedEnv env("DIGITINFER_ISA", "avx512");
        CHECK(default_isa() == best);
    }
    {
        ScopedEnv env("DIGITINFER_ISA", "bogus");
        CHECK(default_isa() == best);
    }
    CHECK(Engine::create(plan, Isa::Avx512)->isa() == best);  // clamped to the CPU
    CHECK(std::string(isa_name(Isa::Avx2)) == "avx2");
}

TEST_CASE("engine rejects invalid plans") {
    Rng rng(16);
    auto rejects = [](const Plan &p) { CHECK_THROWS_AS(Engine::create(p), std::invalid_argument); };
    const Plan base = spec_convnet(16);  // conv, conv, pool, flatten, linear, linear
    REQUIRE_NOTHROW(Engine::create(base));

    Plan p = base;
    std::get<Conv2d>(p.nodes[1].op).in_channels = 8;  // 16 channels arrive
    rejects(p);
    p = base;
    std::get<Conv2d>(p.nodes[1].op).weight.pop_back();
    rejects(p);
    p = base;
    std::get<Conv2d>(p.nodes[0].op).bias.push_back(0.0f);
    rejects(p);
    p = base;
    std::get<Linear>(p.nodes[4].op).in_features = 4607;
    rejects(p);
    p = base;
    std::get<Linear>(p.nodes[5].op).bias.resize(3);
    rejects(p);
    p = base;
    p.then(conv(rng, 10, 4, 1, 1, false));  // spatial after Linear
    rejects(p);
    p = base;
    p.nodes[2].op = pool(13);  // 24x24 map: fine; then the Linear no longer fits
    rejects(p);
    p = base;
    p.nodes[2].op = pool(25);  // larger than its 24x24 input
    rejects(p);
    p = base;
    p.nodes[0].op = conv(rng, 1, 16, 29, 3, true);  // taller than the image
    rejects(p);
    p = base;
    p.nodes[2].op = pool(0);
    rejects(p);
    p = base;
    p.nodes[1].inputs = {1};  // not an earlier node
    rejects(p);
    p = base;
    p.nodes[1].inputs = {0, 0};  // a Conv2d takes one input
    rejects(p);
    p = base;
    p.nodes[3].op = Add{};  // one input
    rejects(p);
    p = base;
    std::get<Conv2d>(p.nodes[1].op).groups = 3;  // 16 channels
    rejects(p);
    p = base;
    std::get<Pool2d>(p.nodes[2].op).pad_h = 2;  // over half the kernel
    rejects(p);
    p = base;
    p.nodes[3].op = BatchNorm{std::vector<float>(31, 1.0f), std::vector<float>(32, 0.0f)};
    rejects(p);
    p = base;
    p.nodes[4].op = Pointwise{Pointwise::Kind(15)};  // in the enum's range (0-15), not an enumerator
    rejects(p);
    p = base;
    p.channels = 0;
    rejects(p);
    p = base;
    p.channels = 2;
    rejects(p);
    p = base;
    p.output = Activation(42);
    rejects(p);
}

TEST_CASE("plain chains take the chain runner, everything else the graph runner") {
    CHECK(Engine::create(spec_convnet(17))->is_chain());
    for (const NamedPlan &np : graph_plans()) {
        INFO(np.name);
        CHECK_FALSE(Engine::create(np.plan)->is_chain());
    }
    // A batch norm after a convolution and a ReLU after that fold into a chain again.
    Rng rng(18);
    Plan p;
    p.channels = 1, p.height = 10, p.width = 10;
    p.then(conv(rng, 1, 4, 3, 3, false));
    p.then(batch_norm(rng, 4));
    p.then(Pointwise{Pointwise::ReLU});
    p.then(Flatten{});
    p.then(Pointwise{});  // identity
    p.then(linear(rng, 4 * 8 * 8, 3, false));
    p.output = Activation::LogSoftmax;
    const auto engine = Engine::create(p);
    CHECK(engine->is_chain());
    const std::vector<float> in = random_inputs(3 * 100, 19);
    std::vector<float> out(9);
    engine->forward(in.data(), 3, out.data(), 1);
    CHECK(max_error(p, *engine, in, out, 3) < kTolerance);
}

TEST_CASE("engine without layers passes the input through the activation") {
    Plan p;
    p.channels = 2, p.height = 2, p.width = 3;
    p.output = Activation::Softmax;
    const auto engine = Engine::create(p);
    REQUIRE(engine->num_outputs() == 12);
    const std::vector<float> in = random_inputs(24, 8);
    std::vector<float> out(24);
    engine->forward(in.data(), 2, out.data(), 2);
    CHECK(max_error(p, *engine, in, out, 2) < kTolerance);
}

TEST_CASE("padding channels never carry another model's NaN into a convolution") {
    // Engines share each thread's scratch. A model run on NaN input leaves NaN everywhere in it;
    // a concatenation (or add, adaptive pool) writes only its real channels, and the direct
    // convolution after it multiplies the padding channels by zero weights: 0 * NaN = NaN.
    Rng rng(31);
    Plan poison;
    poison.channels = 1, poison.height = 40, poison.width = 40;
    for (int i = 0; i < 6; ++i) poison.then(conv_ex(rng, i ? 32 : 1, 32, 3, 1, 1, 1, 1, act(Pointwise::Sigmoid)));
    Plan p;
    p.channels = 1, p.height = 9, p.width = 9;
    const int a = add_node(p, conv_ex(rng, 1, 3, 3, 1, 1, 1, 1, act(Pointwise::Identity)), {kInput});
    const int b = add_node(p, conv_ex(rng, 1, 2, 3, 1, 1, 1, 1, act(Pointwise::Tanh)), {kInput});
    const int c = add_node(p, Concat{}, {a, b});
    const int d = add_node(p, AdaptiveAvgPool2d{5, 5}, {c});
    const int e = add_node(p, conv_ex(rng, 5, 4, 3, 1, 0, 1, 1, act(Pointwise::ReLU)), {d});
    const int f = add_node(p, Flatten{}, {e});
    add_node(p, linear(rng, 4 * 3 * 3, 3, false), {f});
    p.output = Activation::LogSoftmax;
    for (Isa isa : supported_isas()) {
        INFO(isa_name(isa));
        const auto poisoner = Engine::create(poison, isa), engine = Engine::create(p, isa);
        std::vector<float> nan_in(1600, NAN), nan_out(poisoner->num_outputs());
        const std::vector<float> in = random_inputs(81, 32);
        std::vector<float> out(3);
        poisoner->forward(nan_in.data(), 1, nan_out.data(), 1);
        engine->forward(in.data(), 1, out.data(), 1);
        CHECK(max_error(p, *engine, in, out, 1) < kTolerance);
    }
}

TEST_CASE("adaptive pooling of a tall map computes its windows without overflow") {
    // 65,535 bins over 65,536 rows: o * in needs more than 32 bits (found by fuzzing: an out-of-bounds read).
    Rng rng(33);
    Plan p;
    p.channels = 1, p.height = 1, p.width = 1;
    Conv2d c = conv_ex(rng, 1, 1, 1, 1, 0, 1, 1, act(Pointwise::Identity));
    c.pad_top = 65535;
    c.bias = {0.5f};
    p.then(c);
    p.then(AdaptiveAvgPool2d{65535, 1});
    p.then(Flatten{});
    p.then(linear(rng, 65535, 2, false));
    const auto engine = Engine::create(p);
    const std::vector<float> in = {1.5f};
    std::vector<float> out(2);
    engine->forward(in.data(), 1, out.data(), 1);
    CHECK(max_error(p, *engine, in, out, 1) < kTolerance);
}

// A message check for Engine::create's refusals.
void refuses(const Plan &p, const std::string &mentions) {
    try {
        Engine::create(p);
        FAIL("accepted; expected a refusal mentioning \"" << mentions << "\"");
    } catch (const std::invalid_argument &e) {
        INFO(e.what());
        CHECK(std::string(e.what()).find(mentions) != std::string::npos);
    }
}

TEST_CASE("engine refuses plans over its budgets and names the bound") {
    Rng rng(40);
    SECTION("a tensor whose channels padded to the vector width are over the per-tensor bound") {
        // tests/fuzz/regressions/native_model/scratch-3gib-padded-channels.dimodel: 1-channel maps of
        // 4096 x 4096 are 2^24 floats as the plan counts them, 2^28 as the kernels store them.
        Plan p;
        p.channels = 1, p.height = 4096, p.width = 4096;
        p.then(conv(rng, 1, 1, 1, 1, false));
        refuses(p, "node 0 (Conv2d): output 1x4096x4096 needs 268435456 floats with its channels padded to 16");
        p.nodes[0].op = pool_ex(Pool2d::Average, 2, 2, 0, false);  // 2048 x 2048, counted padded too
        refuses(p, "node 0 (Pool2d): output 1x2048x2048 needs 67108864 floats");
    }
    SECTION("tensors each within bounds that together are over the scratch per thread") {
        // Five 16 x 1024 x 1024 maps side by side in the graph runner: 320 MiB per thread.
        Plan p;
        p.channels = 1, p.height = 1024, p.width = 1024;
        const int a = add_node(p, conv(rng, 1, 16, 1, 1, false), {kInput});
        const int b = add_node(p, conv(rng, 1, 16, 1, 1, false), {kInput});
        const int c = add_node(p, Add{}, {a, b});
        const int d = add_node(p, Add{}, {c, a});
        add_node(p, Add{}, {d, b});
        refuses(p, "floats of scratch per thread, over the engine's limit of 67108864");
    }
    SECTION("packed weights over their bound, refused before they are packed") {
        // Every append of both runners goes through append_block. (A plan over the bound packs
        // 256 MiB before its last block is refused: too much for a unit test.)
        std::vector<float> packed;
        CHECK(detail::append_block(packed, 20) == 0);
        CHECK(packed.size() == 32);
        CHECK_THROWS_WITH(detail::append_block(packed, kMaxPackedFloats),
                          Catch::Contains("the packed weights need over 67108864 floats"));
        CHECK(packed.size() == 32);
    }
    SECTION("more operations per image than the bound") {
        // A 3073 x 3073 max-pool at stride 1 over 4096 x 4096: 1024^2 windows of 3073^2 taps.
        Plan p;
        p.channels = 1, p.height = 4096, p.width = 4096;
        p.then(pool_ex(Pool2d::Max, 3073, 1, 0, false));
        refuses(p, "needs 9.9e+12 operations per image, over the engine's limit of 1e+10");
    }
    SECTION("the models the engine runs are far within them") {
        const auto engine = Engine::create(spec_convnet(41));
        CHECK(engine->scratch_floats() < (std::size_t(1) << 20));
        CHECK(engine->packed_floats() < (std::size_t(1) << 20));
    }
}

TEST_CASE("engine refuses NaN and infinite weights and names the tensor") {
    const Plan base = spec_convnet(42);  // conv, conv, pool, flatten, linear, linear
    Plan p = base;
    std::get<Conv2d>(p.nodes[0].op).weight[3] = NAN;
    refuses(p, "node 0 (Conv2d): weight value 3 is NaN");
    p = base;
    std::get<Linear>(p.nodes[5].op).bias[7] = -INFINITY;
    refuses(p, "node 5 (Linear): bias value 7 is infinite");
    p = base;
    p.nodes.insert(p.nodes.begin() + 2, Node{BatchNorm{std::vector<float>(32, 1.0f), std::vector<float>(32, 0.0f)}, {1}});
    std::get<BatchNorm>(p.nodes[2].op).shift[31] = NAN;
    for (std::size_t i = 3; i < p.nodes.size(); ++i) p.nodes[i].inputs = {int(i) - 1};
    refuses(p, "node 2 (BatchNorm): shift value 31 is NaN");
    p = base;
    p.then(Pointwise{Pointwise::LeakyReLU, INFINITY, 0.0f});
    refuses(p, "node 6 (Pointwise): activation parameter alpha is not finite");
    p = base;
    p.then(Pointwise{Pointwise::Hardtanh, NAN, 1.0f});
    refuses(p, "node 6 (Pointwise): Hardtanh min above max, or NaN");
    p = base;
    p.then(Pointwise{Pointwise::Hardtanh, 0.0f, INFINITY});  // clamp(x, min=0): no upper bound
    CHECK_NOTHROW(Engine::create(p));
}

TEST_CASE("the output log_softmax sums to 1 however large the scores", "[activation]") {
    // As stage 6's (fuzz_c_api, robustness.md row 19): in double, max + log(sum) rounds back to
    // max from about 1e16 on, and tied classes each got log-probability 0.
    for (float big : {1.0f, 1e7f, 1e17f, 3e35f, 3.4e38f}) {
        const float in[3] = {big, -big, big};
        float out[3];
        detail::activate(in, 3, out, Activation::LogSoftmax);
        INFO("largest score " << big);
        CHECK(out[0] == Approx(-std::log(2.0 + std::exp(-2.0 * double(big)))).epsilon(1e-6));
        CHECK(out[2] == out[0]);
        CHECK(std::exp(double(out[0])) + std::exp(double(out[1])) + std::exp(double(out[2])) == Approx(1.0).epsilon(1e-6));
        detail::activate(in, 3, out, Activation::Softmax);
        CHECK(out[0] == Approx(1.0 / (2.0 + std::exp(-2.0 * double(big)))).epsilon(1e-6));
        CHECK(out[0] + out[1] + out[2] == Approx(1.0).epsilon(1e-6));
    }
}
