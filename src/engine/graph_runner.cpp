// The engine's general runner (runner.hpp): any valid plan, a DAG of every
// operation in plan.hpp, on the same kernels as the chain runner.
//
// Spatial tensors are HWC per image with a channel stride cs (the network
// input keeps cs = C; computed tensors round it up to the vector width; the
// padding channels are never read as data). Flat tensors are rows of a group
// of up to kGroup images. Each group runs in two phases: every image through
// the spatial steps (a Flatten writes the image's row), then the flat steps
// for all rows at once, so each Linear reads its weights once per group.
//
// Convolutions: stride 1 and no dilation run the direct kernel (on a
// zero-padded copy when padded); other strides and dilations unroll the
// input (im2col) and run the dense kernel; depthwise ones (groups = channels)
// have their own kernel; other groupings are expanded to a block-diagonal
// ungrouped convolution.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "runner.hpp"
#include "shapes.hpp"

namespace digitinfer::engine::detail {
namespace {

struct Tensor {
    TensorShape shape;
    int cs = 0;              // spatial: floats per pixel; flat: floats per row
    std::size_t offset = 0;  // in the thread's scratch
    bool input = false;      // the network input itself (NCHW; HWC when C = 1)
    bool input_rows = false; // flat: the group's input images as rows (a Flatten of the input)
};

enum class StepKind { Direct, Unrolled, Depthwise, Pool, Adaptive, Dense, Scale, Pointwise, Flatten, Add, Concat };

struct Step {
    StepKind kind;
    std::vector<int> in;     // tensor ids
    int out = 0;
    // Convolutions and dense: packed weights and bias in params; geometry.
    std::size_t w_off = 0, b_off = 0;
    int kh = 1, kw = 1, sh = 1, sw = 1, pt = 0, pl = 0, pb = 0, pr = 0, dh = 1, dw = 1, K = 0;
    bool relu = false;             // fused in the kernel
    Pointwise after;               // applied after the kernel (when not fused)
    Pool2d pool;
};

class GraphRunner final : public Runner {
public:
    void build(const Plan &plan, Isa isa);
    void forward(const float *input, std::size_t n, float *output, int threads) const override;

private:
    std::vector<Tensor> tensors_;
    std::vector<Step> spatial_, flat_;  // per image, then per group
    int result_ = 0;
    Activation act_ = Activation::None;
    AlignedFloats params_;
    std::size_t off_input_ = 0, off_pad_ = 0, off_cols_ = 0, total_ = 0;
    bool transpose_input_ = false;  // a spatial step reads the multi-channel input (in HWC)

    int spatial_tensor(const TensorShape &s, int cs, std::size_t &at);
    void run_range(const float *input, std::size_t n, float *output) const;
    void run_spatial(const Step &st, float *scratch, const float *x, int row) const;
    void run_flat(const Step &st, float *scratch, const float *rows, int m) const;
    const float *flat_data(int t, float *scratch, const float *rows) const {
        return tensors_[std::size_t(t)].input_rows ? rows : scratch + tensors_[std::size_t(t)].offset;
    }
    const float *data(int t, float *scratch, const float *x) const {
        return tensors_[std::size_t(t)].input ? x : scratch + tensors_[std::size_t(t)].offset;
    }
};

int GraphRunner::spatial_tensor(const TensorShape &s, int cs, std::size_t &at) {
    tensors_.push_back({s, cs, at, false});
    at += round_up(std::size_t(s.h) * s.w * cs, kAlign);
    return int(tensors_.size()) - 1;
}

void GraphRunner::build(const Plan &plan, Isa isa) {
    kernels = &kernels_for(isa);
    const int V = kernels->vec;
    const std::vector<TensorShape> shapes = infer_shapes(plan);
    in_size = std::size_t(plan.channels) * plan.height * plan.width;
    act_ = plan.output;

    std::vector<float> packed;
    auto append = [&](std::size_t n) { return append_block(packed, n); };
    auto padded = [&](int c) { return int(round_up(std::size_t(c), std::size_t(V))); };
    std::size_t at = 0, pad_max = 0, cols_max = 0;
    std::vector<std::size_t> flat_sizes;  // per flat tensor, floats per row
    auto flat_tensor = [&](int features, int cs) {
        tensors_.push_back({TensorShape{true, features}, cs, 0, false});
        flat_sizes.push_back(std::size_t(tensors_.size()) - 1);
        return int(tensors_.size()) - 1;
    };

    const TensorShape input{false, plan.channels, plan.height, plan.width};
    tensors_.push_back({input, plan.channels, 0, true});
    const bool transpose = plan.channels > 1;  // NCHW -> HWC; one channel is both
    if (transpose) {
        tensors_[0].input = false;
        tensors_[0].offset = at;
        off_input_ = at;
        at += round_up(in_size, kAlign);
    }
    std::vector<int> tensor_of(plan.nodes.size());
    auto tensor = [&](int node) { return node == kInput ? 0 : tensor_of[std::size_t(node)]; };

    for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
        const Node &node = plan.nodes[i];
        const TensorShape &out = shapes[i];
        Step st;
        for (int j : node.inputs) st.in.push_back(tensor(j));
        const Tensor &in0 = tensors_[std::size_t(st.in[0])];
        std::vector<Step> &steps = out.flat && in0.shape.flat ? flat_ : spatial_;
        if (const auto *c = std::get_if<Conv2d>(&node.op)) {
            const int in_c = c->in_channels, out_c = c->out_channels;
            const int in_cs = in0.cs, out_cs = padded(out_c);
            st.kh = c->kernel_h, st.kw = c->kernel_w, st.sh = c->stride_h, st.sw = c->stride_w;
            st.pt = c->pad_top, st.pl = c->pad_left, st.pb = c->pad_bottom, st.pr = c->pad_right;
            st.dh = c->dilation_h, st.dw = c->dilation_w;
            const bool depthwise = c->groups > 1 && c->groups == in_c && out_c == in_c;
            // Grouped weights as one block-diagonal ungrouped convolution.
            std::vector<float> full;
            const float *weight = c->weight.data();
            if (c->groups > 1 && !depthwise) {
                const int gi = in_c / c->groups, go = out_c / c->groups, taps = st.kh * st.kw;
                full.assign(std::size_t(out_c) * in_c * taps, 0.0f);
                for (int o = 0; o < out_c; ++o)
                    for (int j = 0; j < gi; ++j)
                        std::copy_n(c->weight.data() + (std::size_t(o) * gi + j) * taps, taps,
                                    full.data() + (std::size_t(o) * in_c + (o / go) * gi + j) * taps);
                weight = full.data();
            }
            st.relu = c->activation.kind == Pointwise::ReLU;
            st.after = st.relu ? Pointwise{} : c->activation;
            if (depthwise) {
                st.kind = StepKind::Depthwise;
                st.w_off = append(std::size_t(st.kh) * st.kw * in_cs);
                for (int ch = 0; ch < in_c; ++ch)
                    for (int t = 0; t < st.kh * st.kw; ++t)
                        packed[st.w_off + std::size_t(t) * in_cs + ch] = weight[std::size_t(ch) * st.kh * st.kw + t];
                st.b_off = append(std::size_t(in_cs));
                st.out = spatial_tensor(out, in_cs, at);
            } else if (st.sh == 1 && st.sw == 1 && st.dh == 1 && st.dw == 1) {
                st.kind = StepKind::Direct;
                st.w_off = append(std::size_t(out_cs) * st.kh * st.kw * in_cs);
                pack_conv(weight, out_c, in_c, st.kh, st.kw, in_cs, out_cs, kernels->conv_panel, packed.data() + st.w_off);
                st.b_off = append(std::size_t(out_cs));
                if (st.pt || st.pl || st.pb || st.pr)
                    pad_max = std::max(pad_max, std::size_t(in0.shape.h + st.pt + st.pb) *
                                                    (in0.shape.w + st.pl + st.pr) * in_cs);
                st.out = spatial_tensor(out, out_cs, at);
            } else {
                st.kind = StepKind::Unrolled;  // rows: output pixels; columns: (ky, kx, input channel)
                st.K = st.kh * st.kw * in_c;
                st.w_off = append(std::size_t(st.K) * out_cs);
                for (int o = 0; o < out_c; ++o)
                    for (int ch = 0; ch < in_c; ++ch)
                        for (int t = 0; t < st.kh * st.kw; ++t)
                            packed[st.w_off + (std::size_t(t) * in_c + ch) * out_cs + o] =
                                weight[(std::size_t(o) * in_c + ch) * st.kh * st.kw + t];
                st.b_off = append(std::size_t(out_cs));
                cols_max = std::max(cols_max, std::size_t(out.h) * out.w * st.K);
                st.out = spatial_tensor(out, out_cs, at);
            }
            if (!c->bias.empty()) std::copy(c->bias.begin(), c->bias.end(), packed.begin() + st.b_off);
            flops += 2.0 * out_c * (in_c / c->groups) * st.kh * st.kw * out.h * out.w;
        } else if (const auto *p = std::get_if<Pool2d>(&node.op)) {
            st.kind = StepKind::Pool;
            st.pool = *p;
            st.out = spatial_tensor(out, in0.cs, at);
        } else if (std::get_if<AdaptiveAvgPool2d>(&node.op)) {
            st.kind = StepKind::Adaptive;
            st.out = spatial_tensor(out, in0.cs, at);
        } else if (const auto *l = std::get_if<Linear>(&node.op)) {
            st.kind = StepKind::Dense;
            st.K = l->in_features;
            st.out = flat_tensor(l->out_features, padded(l->out_features));
            const std::size_t np = std::size_t(tensors_[std::size_t(st.out)].cs);
            st.w_off = append(std::size_t(st.K) * np);
            for (int o = 0; o < l->out_features; ++o)
                for (int k = 0; k < st.K; ++k)
                    packed[st.w_off + std::size_t(k) * np + o] = l->weight[std::size_t(o) * st.K + k];
            st.b_off = append(np);
            if (!l->bias.empty()) std::copy(l->bias.begin(), l->bias.end(), packed.begin() + st.b_off);
            st.relu = l->activation.kind == Pointwise::ReLU;
            st.after = st.relu ? Pointwise{} : l->activation;
            flops += 2.0 * l->in_features * l->out_features;
        } else if (const auto *b = std::get_if<BatchNorm>(&node.op)) {
            st.kind = StepKind::Scale;  // zero-padded to the channel stride: padding channels become 0
            st.w_off = append(std::size_t(in0.cs));
            std::copy(b->scale.begin(), b->scale.end(), packed.begin() + st.w_off);
            st.b_off = append(std::size_t(in0.cs));
            std::copy(b->shift.begin(), b->shift.end(), packed.begin() + st.b_off);
            st.out = out.flat ? flat_tensor(out.c, in0.cs) : spatial_tensor(out, in0.cs, at);
        } else if (const auto *f = std::get_if<Pointwise>(&node.op)) {
            st.kind = StepKind::Pointwise;
            st.after = *f;
            st.out = out.flat ? flat_tensor(out.c, in0.cs) : spatial_tensor(out, in0.cs, at);
        } else if (std::get_if<Flatten>(&node.op)) {
            if (in0.shape.flat) {  // the identity
                tensor_of[i] = st.in[0];
                continue;
            }
            if (st.in[0] == 0) {  // of the NCHW input: its rows, as they are
                tensors_.push_back({out, int(in_size), 0, false, true});
                tensor_of[i] = int(tensors_.size()) - 1;
                continue;
            }
            st.kind = StepKind::Flatten;
            st.out = flat_tensor(out.c, padded(out.c));
        } else {
            st.kind = std::holds_alternative<Add>(node.op) ? StepKind::Add : StepKind::Concat;
            const Tensor &in1 = tensors_[std::size_t(st.in[1])];
            const bool same_stride = st.kind == StepKind::Add && in0.cs == in1.cs;
            st.out = out.flat ? flat_tensor(out.c, padded(out.c))
                              : spatial_tensor(out, same_stride ? in0.cs : padded(out.c), at);
        }
        tensor_of[i] = st.out;
        steps.push_back(std::move(st));
    }
    result_ = tensor_of.back();
    if (!tensors_[std::size_t(result_)].shape.flat) {  // the output in C,H,W order
        Step st;
        st.kind = StepKind::Flatten;
        st.in = {result_};
        st.out = result_ = flat_tensor(int(shapes.back().size()), padded(int(shapes.back().size())));
        spatial_.push_back(std::move(st));
    }
    n_out = std::size_t(tensors_[std::size_t(result_)].shape.c);
    // An MLP's Flatten reads the NCHW input in place: then nothing needs it in HWC.
    for (const Step &st : spatial_)
        transpose_input_ = transpose_input_ || std::count(st.in.begin(), st.in.end(), 0) > 0;
    transpose_input_ = transpose_input_ && !tensors_[0].input;

    for (std::size_t t : flat_sizes) {
        tensors_[t].offset = at;
        at += round_up(std::size_t(kGroup) * tensors_[t].cs, kAlign);
    }
    off_pad_ = at;
    at += round_up(pad_max, kAlign);
    off_cols_ = at;
    at += round_up(cols_max, kAlign);
    total_ = at;
    check_scratch(total_);  // every tensor is within kMaxFloats; so many of them need not be
    scratch_floats = total_, packed_floats = packed.size();
    std::copy(packed.begin(), packed.end(), params_.reserve(packed.size()));
}

// ---------------------------------------------------------------- running

// Adaptive pooling's bin o of `bins` over n: [floor(o * n / bins), ceil((o + 1) * n / bins)),
// in 64 bits (o * n overflows an int for tall maps).
int bin_begin(int o, int n, int bins) { return int(std::int64_t(o) * n / bins); }
int bin_end(int o, int n, int bins) { return int((std::int64_t(o + 1) * n + bins - 1) / bins); }

// Floats of a tensor's buffer: every pixel's (spatial) or row's (flat, m rows) channel stride.
std::size_t floats(const Tensor &t, int rows) {
    return (t.shape.flat ? std::size_t(rows) : std::size_t(t.shape.h) * t.shape.w) * std::size_t(t.cs);
}

// x * scale[c] + shift[c] over whole pixels (rows), scale and shift zero-padded to the stride.
void scale_shift(const float *in, float *out, std::size_t n, int cs, const float *scale, const float *shift) {
    for (std::size_t p = 0; p < n; p += std::size_t(cs))
        for (int c = 0; c < cs; ++c) out[p + c] = in[p + c] * scale[c] + shift[c];
}

// Zeros the padding channels [c, cs) of every pixel: a convolution reads them (times zero
// weights), so they must hold no leftover inf or NaN.
void zero_padding(const Tensor &t, float *data) {
    if (t.cs == t.shape.c) return;
    const std::size_t plane = std::size_t(t.shape.h) * t.shape.w;
    for (std::size_t p = 0; p < plane; ++p) std::fill(data + p * t.cs + t.shape.c, data + (p + 1) * t.cs, 0.0f);
}

void GraphRunner::run_spatial(const Step &st, float *s, const float *x, int row) const {
    const Tensor &in = tensors_[std::size_t(st.in[0])], &out = tensors_[std::size_t(st.out)];
    const float *src = data(st.in[0], s, x);
    float *dst = s + out.offset;
    const float *w = params_.data + st.w_off, *b = params_.data + st.b_off;
    const int oh = out.shape.h, ow = out.shape.w;
    switch (st.kind) {
        case StepKind::Direct: {
            int ih = in.shape.h, iw = in.shape.w;
            if (st.pt || st.pl || st.pb || st.pr) {
                float *padded = s + off_pad_;
                const int ph = ih + st.pt + st.pb, pw = iw + st.pl + st.pr;
                std::fill_n(padded, std::size_t(ph) * pw * in.cs, 0.0f);
                for (int y = 0; y < ih; ++y)
                    std::copy_n(src + std::size_t(y) * iw * in.cs, std::size_t(iw) * in.cs,
                                padded + (std::size_t(y + st.pt) * pw + st.pl) * in.cs);
                src = padded, ih = ph, iw = pw;
            }
            ConvParams p{};
            p.in = src, p.in_h = ih, p.in_w = iw, p.in_cs = in.cs;
            p.kh = st.kh, p.kw = st.kw, p.weight = w, p.bias = b;
            p.out_cs = out.cs, p.relu = st.relu, p.pool = 1;
            p.out = dst, p.out_w = ow, p.row_begin = 0, p.row_end = oh;
            kernels->conv(p);
            break;
        }
        case StepKind::Unrolled: {
            float *cols = s + off_cols_;
            const int in_c = in.shape.c;
            for (int oy = 0; oy < oh; ++oy)
                for (int ox = 0; ox < ow; ++ox) {
                    float *col = cols + (std::size_t(oy) * ow + ox) * st.K;
                    for (int ky = 0; ky < st.kh; ++ky)
                        for (int kx = 0; kx < st.kw; ++kx, col += in_c) {  // plain loops: often 1 to 3 channels
                            const int iy = oy * st.sh - st.pt + ky * st.dh, ix = ox * st.sw - st.pl + kx * st.dw;
                            const bool inside = iy >= 0 && iy < in.shape.h && ix >= 0 && ix < in.shape.w;
                            const float *v = inside ? src + (std::size_t(iy) * in.shape.w + ix) * in.cs : nullptr;
                            for (int ch = 0; ch < in_c; ++ch) col[ch] = inside ? v[ch] : 0.0f;
                        }
                }
            DenseParams p{};
            p.in = cols, p.in_stride = std::size_t(st.K), p.m = oh * ow, p.k_begin = 0, p.k_end = st.K;
            p.weight = w, p.bias = b, p.n_pad = out.cs, p.relu = st.relu;
            p.out = dst, p.out_stride = std::size_t(out.cs);
            kernels->dense(p);
            break;
        }
        case StepKind::Depthwise:
        case StepKind::Pool: {
            WindowParams p{};
            p.in = src, p.in_h = in.shape.h, p.in_w = in.shape.w, p.cs = in.cs;
            p.out = dst, p.out_w = ow, p.row_begin = 0, p.row_end = oh;
            if (st.kind == StepKind::Pool) {
                p.kh = st.pool.kernel_h, p.kw = st.pool.kernel_w, p.sh = st.pool.stride_h, p.sw = st.pool.stride_w;
                p.ph = st.pool.pad_h, p.pw = st.pool.pad_w, p.dh = p.dw = 1;
                p.average = st.pool.kind == Pool2d::Average, p.count_include_pad = st.pool.count_include_pad;
                kernels->pool2d(p);
            } else {
                p.kh = st.kh, p.kw = st.kw, p.sh = st.sh, p.sw = st.sw, p.ph = st.pt, p.pw = st.pl;
                p.dh = st.dh, p.dw = st.dw, p.weight = w, p.bias = b, p.relu = st.relu;
                kernels->depthwise(p);
            }
            break;
        }
        case StepKind::Adaptive: {  // torch's windows: [floor(o * in / out), ceil((o + 1) * in / out))
            const int ih = in.shape.h, iw = in.shape.w;
            for (int oy = 0; oy < oh; ++oy) {
                const int y0 = bin_begin(oy, ih, oh), y1 = bin_end(oy, ih, oh);
                for (int ox = 0; ox < ow; ++ox) {
                    const int x0 = bin_begin(ox, iw, ow), x1 = bin_end(ox, iw, ow);
                    float *o = dst + (std::size_t(oy) * ow + ox) * out.cs;
                    std::fill_n(o, in.shape.c, 0.0f);
                    for (int y = y0; y < y1; ++y)
                        for (int xx = x0; xx < x1; ++xx) {
                            const float *v = src + (std::size_t(y) * iw + xx) * in.cs;
                            for (int c = 0; c < in.shape.c; ++c) o[c] += v[c];
                        }
                    const float count = float((y1 - y0) * (x1 - x0));
                    for (int c = 0; c < in.shape.c; ++c) o[c] /= count;
                }
            }
            zero_padding(out, dst);
            break;
        }
        case StepKind::Scale:
            scale_shift(src, dst, floats(in, 1), in.cs, w, b);
            break;
        case StepKind::Pointwise:
            kernels->pointwise(st.after, src, dst, long(floats(in, 1)));
            break;
        case StepKind::Flatten: {  // into this image's row, C,H,W order
            float *r = dst + std::size_t(row) * out.cs;
            const std::size_t plane = std::size_t(in.shape.h) * in.shape.w;
            for (std::size_t p = 0; p < plane; ++p)
                for (int c = 0; c < in.shape.c; ++c) r[std::size_t(c) * plane + p] = src[p * in.cs + c];
            break;
        }
        case StepKind::Add: {
            const Tensor &in1 = tensors_[std::size_t(st.in[1])];
            const float *src1 = data(st.in[1], s, x);
            if (in.cs == in1.cs) {  // whole buffers
                for (std::size_t i = 0, n = floats(in, 1); i < n; ++i) dst[i] = src[i] + src1[i];
                break;
            }
            const std::size_t plane = std::size_t(oh) * ow;
            for (std::size_t p = 0; p < plane; ++p)
                for (int c = 0; c < out.shape.c; ++c)
                    dst[p * out.cs + c] = src[p * in.cs + c] + src1[p * in1.cs + c];
            zero_padding(out, dst);
            break;
        }
        case StepKind::Concat: {
            const std::size_t plane = std::size_t(oh) * ow;
            int base = 0;
            for (int t : st.in) {
                const Tensor &ti = tensors_[std::size_t(t)];
                const float *v = data(t, s, x);
                for (std::size_t p = 0; p < plane; ++p)
                    std::copy_n(v + p * ti.cs, ti.shape.c, dst + p * out.cs + base);
                base += ti.shape.c;
            }
            zero_padding(out, dst);
            break;
        }
        case StepKind::Dense: break;  // flat only
    }
    if (st.after.kind != Pointwise::Identity && st.kind != StepKind::Pointwise)
        kernels->pointwise(st.after, dst, dst, long(floats(out, 1)));
}

void GraphRunner::run_flat(const Step &st, float *s, const float *rows, int m) const {
    const Tensor &in = tensors_[std::size_t(st.in[0])], &out = tensors_[std::size_t(st.out)];
    const float *src = flat_data(st.in[0], s, rows);
    float *dst = s + out.offset;
    const float *w = params_.data + st.w_off, *b = params_.data + st.b_off;
    switch (st.kind) {
        case StepKind::Dense: {
            DenseParams p{};
            p.in = src, p.in_stride = std::size_t(in.cs), p.m = m, p.k_begin = 0, p.k_end = st.K;
            p.weight = w, p.bias = b, p.n_pad = out.cs, p.relu = st.relu;
            p.out = dst, p.out_stride = std::size_t(out.cs);
            kernels->dense(p);
            break;
        }
        case StepKind::Scale:
            scale_shift(src, dst, floats(in, m), in.cs, w, b);
            break;
        case StepKind::Pointwise:
            kernels->pointwise(st.after, src, dst, long(floats(in, m)));
            break;
        case StepKind::Add: {
            const Tensor &in1 = tensors_[std::size_t(st.in[1])];
            const float *src1 = flat_data(st.in[1], s, rows);
            for (int r = 0; r < m; ++r)
                for (int c = 0; c < out.shape.c; ++c)
                    dst[std::size_t(r) * out.cs + c] = src[std::size_t(r) * in.cs + c] + src1[std::size_t(r) * in1.cs + c];
            break;
        }
        case StepKind::Concat: {
            int base = 0;
            for (int t : st.in) {
                const Tensor &ti = tensors_[std::size_t(t)];
                for (int r = 0; r < m; ++r)
                    std::copy_n(flat_data(t, s, rows) + std::size_t(r) * ti.cs, ti.shape.c, dst + std::size_t(r) * out.cs + base);
                base += ti.shape.c;
            }
            break;
        }
        default: break;  // spatial only
    }
    if (st.after.kind != Pointwise::Identity && st.kind != StepKind::Pointwise)
        kernels->pointwise(st.after, dst, dst, long(floats(out, m)));
}

void GraphRunner::run_range(const float *input, std::size_t n, float *output) const {
    float *s = thread_scratch().reserve(total_);
    const Tensor &x0 = tensors_[0];
    for (std::size_t g = 0; g < n; g += kGroup) {
        const int m = int(std::min<std::size_t>(kGroup, n - g));
        for (int i = 0; i < m; ++i) {
            const float *x = input + (g + std::size_t(i)) * in_size;
            if (transpose_input_) {  // NCHW -> HWC
                float *t = s + off_input_;
                const std::size_t plane = std::size_t(x0.shape.h) * x0.shape.w;
                for (std::size_t p = 0; p < plane; ++p)
                    for (int c = 0; c < x0.shape.c; ++c) t[p * x0.cs + c] = x[std::size_t(c) * plane + p];
            }
            for (const Step &st : spatial_) run_spatial(st, s, x, i);
        }
        for (const Step &st : flat_) run_flat(st, s, input + g * in_size, m);
        const float *r = flat_data(result_, s, input + g * in_size);
        const std::size_t stride = std::size_t(tensors_[std::size_t(result_)].cs);
        for (int i = 0; i < m; ++i) activate(r + std::size_t(i) * stride, n_out, output + (g + std::size_t(i)) * n_out, act_);
    }
}

void GraphRunner::forward(const float *input, std::size_t n, float *output, int threads) const {
    threads = threads_worth(flops * double(n), threads);
    if (threads <= 1 || n == 1) return run_range(input, n, output);
    parallel_ranges(n, threads, [&](std::size_t b, std::size_t e) {
        run_range(input + b * in_size, e - b, output + b * n_out);
    });
}

}  // namespace

std::unique_ptr<Runner> make_graph_runner(const Plan &plan, Isa isa) {
    auto runner = std::make_unique<GraphRunner>();
    runner->build(plan, isa);
    return runner;
}

}  // namespace digitinfer::engine::detail
