// The engine's fast path for a plain chain (runner.hpp): repacks the plan's
// weights for the chosen kernel set (kernels.hpp describes the layouts) and
// runs batches.
//
// A chain is a spatial stage (stride-1 unpadded convolutions and k x k
// max-pools, on HWC activations; a max-pool right after a convolution is
// fused into it) followed by a dense stage (Linear layers). Images go through
// the spatial stage one at a time and through the dense stage in groups of up
// to kGroup, so each group reads the (large) first Linear's weights once.
// With more threads than images, the rows of each image's spatial stage are
// split across the threads instead, each thread also reducing its share of
// the first Linear layer.
#include <optional>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "runner.hpp"

namespace digitinfer::engine::detail {
namespace {

constexpr int kMaxSpatialOps = 64;   // row ranges live in fixed arrays

struct SpatialOp {
    bool conv = true;
    int in_h = 0, in_w = 0, in_cs = 0;
    int out_h = 0, out_w = 0, out_cs = 0, out_c = 0;  // out_c: real channels
    int kh = 1, kw = 1;
    int pool = 1;  // conv: fused pool (1 = none); pool op: its kernel
    bool relu = false;
    std::size_t w_off = 0, b_off = 0;
    int conv_w() const { return in_w - kw + 1; }
    std::size_t out_size() const { return std::size_t(out_h) * out_w * out_cs; }
};

struct DenseOp {
    int K = 0, N = 0, Np = 0;  // K: packed rows; Np: N padded to the vector width
    std::size_t w_off = 0, b_off = 0;
    bool relu = false;
};

// A layer of the chain as build() reads it: one of the three.
struct ChainLayer {
    const Conv2d *conv = nullptr;
    int pool = 0;  // a k x k, stride k max-pool
    const Linear *linear = nullptr;
};

bool relu_or_none(const Pointwise &p) { return p.kind == Pointwise::Identity || p.kind == Pointwise::ReLU; }

// The plan as a chain this runner runs, or nullopt: each node reads the one
// before; convolutions stride 1, unpadded, undilated, ungrouped; square max-pools
// with stride = kernel, no padding; at most ReLU fused; Flatten before the Linears.
std::optional<std::vector<ChainLayer>> chain_of(const Plan &plan) {
    std::vector<ChainLayer> layers;
    bool flat = false;
    for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
        const Node &node = plan.nodes[i];
        if (node.inputs.size() != 1 || node.inputs[0] != int(i) - 1) return std::nullopt;
        if (const auto *c = std::get_if<Conv2d>(&node.op)) {
            if (flat || c->stride_h != 1 || c->stride_w != 1 || c->pad_top || c->pad_left || c->pad_bottom ||
                c->pad_right || c->dilation_h != 1 || c->dilation_w != 1 || c->groups != 1 ||
                !relu_or_none(c->activation))
                return std::nullopt;
            layers.push_back({c, 0, nullptr});
        } else if (const auto *p = std::get_if<Pool2d>(&node.op)) {
            const int k = p->kernel_h;
            if (flat || p->kind != Pool2d::Max || p->kernel_w != k || p->stride_h != k || p->stride_w != k ||
                p->pad_h || p->pad_w || p->ceil_mode)
                return std::nullopt;
            layers.push_back({nullptr, k, nullptr});
        } else if (std::get_if<Flatten>(&node.op)) {
            flat = true;
        } else if (const auto *l = std::get_if<Linear>(&node.op)) {
            if (!flat || !relu_or_none(l->activation)) return std::nullopt;
            layers.push_back({nullptr, 0, l});
        } else {
            return std::nullopt;
        }
    }
    if (std::count_if(layers.begin(), layers.end(), [](const ChainLayer &l) { return !l.linear; }) > kMaxSpatialOps)
        return std::nullopt;
    return layers;
}

// Split-image partial sums of the first Linear layer, per calling thread.
thread_local AlignedFloats tls_partials;

}  // namespace

class ChainRunner final : public Runner {
public:
    const Kernels *k = nullptr;
    int C = 0, H = 0, W = 0;
    std::vector<SpatialOp> sops;
    std::vector<DenseOp> dops;
    AlignedFloats params;
    bool transpose_input = false;  // multi-channel NCHW input into HWC
    std::size_t feat_size = 0;     // per image: the spatial stage's output, rounded up
    Activation act = Activation::None;
    // Scratch layout, in floats from the thread's scratch base.
    std::size_t off_xin = 0, off_a = 0, off_b = 0, off_row = 0, off_feat = 0, off_da = 0, off_db = 0, total = 0;

    void build(const Plan &plan, const std::vector<ChainLayer> &chain, Isa isa);
    void forward(const float *input, std::size_t n, float *output, int threads) const override;
    void spatial(const float *x, float *scratch, float *feat, int row_begin, int row_end, float *dense_out = nullptr,
                 bool dense_bias = true, bool dense_relu = false) const;
    void dense(const float *in, std::size_t in_stride, int m, int first, float *scratch, float *output) const;
    void finish_spatial(const float *feat, float *out) const;
    void run_range(const float *input, std::size_t n, float *output) const;
    void run_split_image(const float *x, float *out, int threads) const;
};

// ---------------------------------------------------------------- building

void ChainRunner::build(const Plan &plan, const std::vector<ChainLayer> &chain, Isa isa) {
    k = kernels = &kernels_for(isa);
    const std::size_t V = std::size_t(k->vec);
    C = plan.channels, H = plan.height, W = plan.width;
    in_size = std::size_t(C) * H * W;
    act = plan.output;

    std::vector<float> packed;  // blocks start at multiples of kAlign
    auto append = [&](std::size_t n) { return append_block(packed, n); };

    // Current activation shape: c real channels, cs floats per pixel (spatial stage).
    int c = C, h = H, w = W, cs = C;
    bool spatial_done = false;
    int features = 0;  // dense stage: current width
    for (const ChainLayer &layer : chain) {
        if (const Conv2d *conv = layer.conv) {
            if (sops.size() >= std::size_t(kMaxSpatialOps)) invalid("more than 64 spatial layers");
            SpatialOp op;
            op.conv = true;
            op.in_h = h, op.in_w = w, op.in_cs = cs;
            op.kh = conv->kernel_h, op.kw = conv->kernel_w;
            op.relu = conv->activation.kind == Pointwise::ReLU;
            op.out_c = conv->out_channels;
            op.out_cs = int(round_up(std::size_t(op.out_c), V));
            op.out_h = h - op.kh + 1, op.out_w = w - op.kw + 1;
            const std::size_t J = std::size_t(op.kw) * cs, P = std::size_t(k->conv_panel);
            op.w_off = append(std::size_t(op.out_cs) * op.kh * J);
            pack_conv(conv->weight.data(), op.out_c, c, op.kh, op.kw, cs, op.out_cs, int(P), packed.data() + op.w_off);
            op.b_off = append(std::size_t(op.out_cs));
            if (!conv->bias.empty()) std::copy(conv->bias.begin(), conv->bias.end(), packed.begin() + op.b_off);
            flops += 2.0 * op.out_c * c * op.kh * op.kw * op.out_h * op.out_w;
            sops.push_back(op);
            c = op.out_c, cs = op.out_cs, h = op.out_h, w = op.out_w;
        } else if (layer.pool) {
            const int pool_k = layer.pool;
            if (pool_k == 1) continue;  // the identity
            if (!sops.empty() && sops.back().conv && sops.back().pool == 1) {
                SpatialOp &op = sops.back();  // fused into the convolution's epilogue
                op.pool = pool_k;
                op.out_h /= pool_k, op.out_w /= pool_k;
                h = op.out_h, w = op.out_w;
            } else {
                if (sops.size() >= std::size_t(kMaxSpatialOps)) invalid("more than 64 spatial layers");
                SpatialOp op;
                op.conv = false;
                op.in_h = h, op.in_w = w, op.in_cs = cs;
                op.pool = pool_k;
                op.out_h = h / op.pool, op.out_w = w / op.pool, op.out_cs = cs, op.out_c = c;
                sops.push_back(op);
                h = op.out_h, w = op.out_w;
            }
        } else {
            const Linear &lin = *layer.linear;
            const bool first = !spatial_done;
            DenseOp op;
            op.N = lin.out_features;
            op.Np = int(round_up(std::size_t(op.N), V));
            op.relu = lin.activation.kind == Pointwise::ReLU;
            // Rows of the packed weight, and which torch input feature each is (-1: padding).
            const bool hwc = first && !sops.empty();
            op.K = hwc ? h * w * cs : lin.in_features;
            if (std::uint64_t(op.K) * op.Np > kMaxFloats)
                invalid("Linear weight needs " + std::to_string(std::uint64_t(op.K) * op.Np) +
                        " floats packed, over the engine's limit of " + std::to_string(kMaxFloats) + " per tensor");
            std::vector<int> source(std::size_t(op.K));
            for (int r = 0; r < op.K; ++r) {
                if (!hwc) {
                    source[r] = r;
                } else {
                    const int ch = r % cs, pixel = r / cs;  // pixel = y * w + x
                    source[r] = ch < c ? ch * h * w + pixel : -1;
                }
            }
            const std::size_t K = std::size_t(op.K), Np = std::size_t(op.Np);
            op.w_off = append(Np * K);
            float *packed_w = packed.data() + op.w_off;  // [K][Np]
            for (std::size_t o = 0; o < std::size_t(op.N); ++o) {
                const float *row = lin.weight.data() + o * std::size_t(lin.in_features);
                for (std::size_t r = 0; r < K; ++r)
                    if (source[r] >= 0) packed_w[r * Np + o] = row[source[r]];
            }
            op.b_off = append(std::size_t(op.Np));
            if (!lin.bias.empty()) std::copy(lin.bias.begin(), lin.bias.end(), packed.begin() + op.b_off);
            flops += 2.0 * lin.in_features * lin.out_features;
            dops.push_back(op);
            spatial_done = true;
            features = op.N;
        }
    }

    n_out = dops.empty() ? std::size_t(c) * h * w : std::size_t(features);
    transpose_input = C > 1 && !sops.empty();
    feat_size = sops.empty() ? 0 : round_up(sops.back().out_size(), kAlign);

    std::size_t sp_max = 0, row_max = 0, d_max = 0;
    for (std::size_t i = 0; i + 1 < sops.size(); ++i) sp_max = std::max(sp_max, sops[i].out_size());
    for (const SpatialOp &op : sops)
        if (op.conv && op.pool > 1)
            row_max = std::max(row_max, std::size_t(op.pool) * op.conv_w() * op.out_cs);
    for (const DenseOp &op : dops) d_max = std::max(d_max, std::size_t(op.Np));
    std::size_t at = 0;
    auto place = [&](std::size_t n) {
        const std::size_t off = at;
        at += round_up(n, kAlign);
        return off;
    };
    off_xin = place(transpose_input ? in_size : 0);
    off_a = place(sp_max);
    off_b = place(sp_max);
    off_row = place(row_max);
    off_feat = place(std::size_t(kGroup) * feat_size);
    off_da = place(std::size_t(kGroup) * d_max);
    off_db = place(std::size_t(kGroup) * d_max);
    total = at;
    check_scratch(total);

    scratch_floats = total, packed_floats = packed.size();
    float *p = params.reserve(packed.size());
    std::copy(packed.begin(), packed.end(), p);
}

// ---------------------------------------------------------------- running

// The spatial stage of one image, output rows [row_begin, row_end) of its last
// layer (into feat, HWC), computing just the rows of earlier layers they need.
// With dense_out, it also reduces those rows' share of the first Linear layer
// into dense_out (one image: [Np]) as the rows come: each row's weights are
// prefetched into L2 while the row is computed, and, where the kernels can
// (AVX-512, Np = 64), the next row's convolution runs that matrix-vector
// product as a side job in the FMA and load slots it leaves free, hiding its
// L2 traffic; otherwise it runs right after the row. dense_bias: start from
// the bias (else zero); dense_relu: the range is the whole input, apply the
// layer's ReLU, if any.
void ChainRunner::spatial(const float *x, float *scratch, float *feat, int row_begin, int row_end,
                           float *dense_out, bool dense_bias, bool dense_relu) const {
    const DenseOp *d0 = dense_out ? &dops[0] : nullptr;
    const std::size_t row_floats = std::size_t(sops.back().out_w) * sops.back().out_cs;
    auto dense_rows = [&](int rb, int re, bool first, bool last) {
        DenseParams p;
        p.in = feat, p.in_stride = feat_size, p.m = 1;
        p.k_begin = int(rb * row_floats), p.k_end = int(re * row_floats);
        p.weight = params.data + d0->w_off;
        p.bias = first && dense_bias ? params.data + d0->b_off : nullptr;
        p.accumulate = !first;
        p.n_pad = d0->Np, p.relu = last && dense_relu && d0->relu;
        p.out = dense_out, p.out_stride = std::size_t(d0->Np);
        k->dense(p);
    };
    if (row_begin >= row_end) {
        if (d0) dense_rows(row_begin, row_begin, true, true);  // the initial value, for the caller's sum
        return;
    }
    const int n = int(sops.size());
    int beg[kMaxSpatialOps + 1], end[kMaxSpatialOps + 1];  // [i + 1]: output rows of op i; [0]: input rows
    beg[n] = row_begin, end[n] = row_end;
    for (int i = n - 1; i >= 0; --i) {
        const SpatialOp &op = sops[i];
        if (op.conv) {
            beg[i] = beg[i + 1] * op.pool;
            end[i] = std::min(op.in_h, end[i + 1] * op.pool + op.kh - 1);
        } else {
            beg[i] = beg[i + 1] * op.pool;
            end[i] = end[i + 1] * op.pool;
        }
    }
    const float *in = x;
    if (transpose_input) {  // NCHW -> HWC, the rows needed
        float *t = scratch + off_xin;
        const std::size_t plane = std::size_t(H) * W;
        for (int y = beg[0]; y < end[0]; ++y)
            for (int xx = 0; xx < W; ++xx) {
                float *d = t + (std::size_t(y) * W + xx) * C;
                const float *s = x + std::size_t(y) * W + xx;
                for (int ch = 0; ch < C; ++ch) d[ch] = s[ch * plane];
            }
        in = t;
    }
    const float *params_base = params.data;
    // Op i, output rows [rb, re); prefetching `pf_floats` from `pf` meanwhile,
    // and (sk_begin < sk_end) running that part of the first Linear layer.
    auto run = [&](int i, const float *op_in, float *out, int rb, int re, const float *pf, std::size_t pf_floats,
                   int sk_begin = 0, int sk_end = 0) {
        const SpatialOp &op = sops[i];
        if (op.conv) {
            ConvParams p;
            p.in = op_in, p.in_h = op.in_h, p.in_w = op.in_w, p.in_cs = op.in_cs;
            p.kh = op.kh, p.kw = op.kw;
            p.weight = params_base + op.w_off, p.bias = params_base + op.b_off;
            p.out_cs = op.out_cs, p.relu = op.relu, p.pool = op.pool;
            p.out = out, p.out_w = op.out_w;
            p.row_begin = rb, p.row_end = re;
            p.rowbuf = scratch + off_row;
            p.prefetch = pf, p.prefetch_floats = pf_floats;
            p.side_in = feat, p.side_weight = d0 ? params_base + d0->w_off : nullptr;
            p.side_k_begin = sk_begin, p.side_k_end = sk_end;
            p.side_acc = sk_begin < sk_end ? dense_out : nullptr;
            k->conv(p);
        } else {
            PoolParams p;
            p.in = op_in, p.in_w = op.in_w, p.cs = op.in_cs, p.k = op.pool;
            p.out = out, p.out_w = op.out_w;
            p.row_begin = rb, p.row_end = re;
            k->pool(p);
        }
    };
    // The Linear layer's weights for output rows [r0, r1) of the last op.
    const std::size_t slice = d0 ? row_floats * std::size_t(d0->Np) : 0;
    const float *const dense_w = d0 ? params_base + d0->w_off : nullptr;
    // Weights are prefetched a row ahead of need, the first row's during the op before.
    const bool early = d0 && n >= 2 && sops[n - 2].conv;
    for (int i = 0; i + 1 < n; ++i) {
        float *out = scratch + (i % 2 ? off_b : off_a);
        const bool pf = early && i == n - 2;
        run(i, in, out, beg[i + 1], end[i + 1], pf ? dense_w + row_begin * slice : nullptr, pf ? slice : 0);
        in = out;
    }
    if (!d0) {
        run(n - 1, in, feat, row_begin, row_end, nullptr, 0);
        return;
    }
    auto prefetch_rows = [&](int r, std::size_t &floats) {  // during row r
        const int first = r == row_begin && !early ? r : r + 1, last = std::min(r + 2, row_end);
        floats = last > first ? std::size_t(last - first) * slice : 0;
        return dense_w + first * slice;
    };
    std::size_t pf_floats = 0;
    if (sops.back().conv && k->conv_side == d0->Np) {
        // Software pipelined: row r's convolution also runs row r - 1's share
        // of the Linear layer, in the slots it leaves free.
        for (int j = 0; j < d0->Np; ++j) dense_out[j] = dense_bias ? params_base[d0->b_off + j] : 0.0f;
        for (int r = row_begin; r < row_end; ++r) {
            const float *pf = prefetch_rows(r, pf_floats);
            run(n - 1, in, feat, r, r + 1, pf, pf_floats, r > row_begin ? int((r - 1) * row_floats) : 0,
                r > row_begin ? int(r * row_floats) : 0);
        }
        dense_rows(row_end - 1, row_end, false, true);
        return;
    }
    for (int r = row_begin; r < row_end; ++r) {
        const float *pf = prefetch_rows(r, pf_floats);
        run(n - 1, in, feat, r, r + 1, pf, pf_floats);
        dense_rows(r, r + 1, r == row_begin, r + 1 == row_end);
    }
}

// Dense layers from `first` on, for m rows; then the output activation.
void ChainRunner::dense(const float *in, std::size_t in_stride, int m, int first, float *scratch,
                         float *output) const {
    const float *cur = in;
    std::size_t stride = in_stride;
    for (std::size_t i = std::size_t(first); i < dops.size(); ++i) {
        const DenseOp &op = dops[i];
        float *out = scratch + (i % 2 ? off_db : off_da);
        DenseParams p;
        p.in = cur, p.in_stride = stride, p.m = m;
        p.k_begin = 0, p.k_end = i == 0 ? op.K : dops[i - 1].N;
        p.weight = params.data + op.w_off;
        p.bias = params.data + op.b_off, p.accumulate = false;
        p.n_pad = op.Np, p.relu = op.relu;
        p.out = out, p.out_stride = std::size_t(op.Np);
        k->dense(p);
        cur = out, stride = std::size_t(op.Np);
    }
    for (int i = 0; i < m; ++i) activate(cur + i * stride, n_out, output + i * n_out, act);
}

// Without a dense stage: the last spatial map back to C,H,W order.
void ChainRunner::finish_spatial(const float *feat, float *out) const {
    const SpatialOp &op = sops.back();
    const std::size_t plane = std::size_t(op.out_h) * op.out_w;
    for (std::size_t px = 0; px < plane; ++px)
        for (int ch = 0; ch < op.out_c; ++ch) out[ch * plane + px] = feat[px * op.out_cs + ch];
    activate(out, n_out, out, act);
}

void ChainRunner::run_range(const float *input, std::size_t n, float *output) const {
    float *scratch = thread_scratch().reserve(total);
    for (std::size_t g = 0; g < n; g += kGroup) {
        const int m = int(std::min<std::size_t>(kGroup, n - g));
        const float *x = input + g * in_size;
        float *out = output + g * n_out;
        if (sops.empty()) {
            if (dops.empty())
                for (int i = 0; i < m; ++i) activate(x + i * in_size, n_out, out + i * n_out, act);
            else
                dense(x, in_size, m, 0, scratch, out);
            continue;
        }
        float *feat = scratch + off_feat;
        if (m == 1 && !dops.empty()) {  // one image: the first Linear layer as its rows come
            float *d = scratch + off_da;
            spatial(x, scratch, feat, 0, sops.back().out_h, d, true, true);
            if (dops.size() == 1)
                activate(d, n_out, out, act);
            else
                dense(d, std::size_t(dops[0].Np), 1, 1, scratch, out);
            continue;
        }
        for (int i = 0; i < m; ++i) spatial(x + i * in_size, scratch, feat + i * feat_size, 0, sops.back().out_h);
        if (dops.empty())
            for (int i = 0; i < m; ++i) finish_spatial(feat + i * feat_size, out + i * n_out);
        else
            dense(feat, feat_size, m, 0, scratch, out);
    }
}

// One image on several threads: each computes a band of the last spatial
// layer's rows and that band's share of the first Linear layer.
void ChainRunner::run_split_image(const float *x, float *out, int threads) const {
    float *scratch = thread_scratch().reserve(total);
    float *feat = scratch + off_feat;
    const int np0 = dops.empty() ? 0 : dops[0].Np;
    float *partials = tls_partials.reserve(std::size_t(threads) * np0 + 1);
    const int rows = sops.back().out_h;
    // A band per thread (the caller runs any band no worker takes).
    parallel_for(std::size_t(threads), threads, [&](std::size_t band) {
        const int t = int(band);
        float *mine = thread_scratch().reserve(total);  // on the caller: the same buffer again
        const int rb = int(std::int64_t(rows) * t / threads), re = int(std::int64_t(rows) * (t + 1) / threads);
        spatial(x, mine, feat, rb, re, dops.empty() ? nullptr : partials + std::size_t(t) * np0, t == 0, false);
    });
    if (dops.empty()) {
        finish_spatial(feat, out);
        return;
    }
    const DenseOp &op = dops[0];
    float *sum = scratch + off_da;
    for (int j = 0; j < op.Np; ++j) {
        float s = partials[j];
        for (int t = 1; t < threads; ++t) s += partials[std::size_t(t) * op.Np + j];
        sum[j] = op.relu ? (s > 0.0f ? s : (s == s ? 0.0f : s)) : s;
    }
    if (dops.size() == 1)
        activate(sum, n_out, out, act);
    else
        dense(sum, std::size_t(op.Np), 1, 1, scratch, out);
}

// ---------------------------------------------------------------- running a batch

void ChainRunner::forward(const float *input, std::size_t n, float *output, int threads) const {
    threads = threads_worth(flops * double(n), threads);
    if (threads <= 1) {
        run_range(input, n, output);
    } else if (n >= std::size_t(threads)) {
        parallel_ranges(n, threads, [&](std::size_t b, std::size_t e) {
            run_range(input + b * in_size, e - b, output + b * n_out);
        });
    } else if (!sops.empty() && sops.back().out_h > 1) {
        const int t = std::min(threads, sops.back().out_h);
        for (std::size_t i = 0; i < n; ++i) run_split_image(input + i * in_size, output + i * n_out, t);
    } else {
        run_range(input, n, output);
    }
}

std::unique_ptr<Runner> make_chain_runner(const Plan &plan, Isa isa) {
    const auto chain = chain_of(plan);
    if (!chain) return nullptr;
    auto runner = std::make_unique<ChainRunner>();
    runner->build(plan, *chain, isa);
    return runner;
}

}  // namespace digitinfer::engine::detail
