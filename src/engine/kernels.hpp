// Internal interface between the engine's driver (engine.cpp, compiled for the
// baseline ISA) and its compute kernels, compiled once per instruction set
// (kernels_scalar.cpp, kernels_avx2.cpp, kernels_avx512.cpp) from one body,
// kernels_impl.inc. Never include a torch header here.
//
// Data layouts (all float32):
//  * Activations between spatial layers are HWC: pixel (y, x) of an image
//    starts at (y * width + x) * cs, where cs ("channel stride") is the
//    channel count rounded up to the kernel set's vector width `vec`; the
//    padding channels always hold 0. The network input is NCHW; with one
//    channel that is already HWC (cs = 1), otherwise the driver transposes it
//    (cs = C, unpadded: convolutions only broadcast input values).
//  * Convolution weights are packed in panels of `conv_panel` output channels
//    (the last panel may be narrower, a multiple of `vec`). The panel that
//    starts at output channel ps with width pw lives at float offset
//    ps * kh * (kw * in_cs) and is laid out [kh][kw][in_cs][pw]: input
//    channels >= in_channels and output channels >= out_channels are 0.
//  * Dense weights are [K][n_pad], row-major (the transpose of torch's), zero
//    in the padding columns, so that any range of inputs is one contiguous
//    block. Biases are padded with zeros to n_pad.
#pragma once

#include <cstddef>

#include "engine.hpp"

namespace digitinfer::engine {

struct ConvParams {
    const float *in;            // HWC input
    int in_h, in_w, in_cs;
    int kh, kw;
    const float *weight;        // packed, see above
    const float *bias;          // [out_cs], zero padded
    int out_cs;                 // a multiple of vec
    bool relu;
    int pool;                   // 1: none; k > 1: a k x k, stride k max-pool fused after bias/ReLU
    float *out;                 // HWC [out_h][out_w][out_cs], out_* after pooling
    int out_w;
    int row_begin, row_end;     // output rows (after pooling) to compute
    float *rowbuf;              // pool > 1: scratch for pool * (in_w - kw + 1) * out_cs floats
    // Optional: memory to prefetch into L2 while computing (spread over the
    // work; the next layer's weights), or null.
    const float *prefetch;
    std::size_t prefetch_floats;
    // Optional side job, run in the FMA and load slots the convolution leaves
    // free (side_acc non-null; only if Kernels::conv_side is the width):
    // side_acc[0, conv_side) += sum over k in [side_k_begin, side_k_end) of
    // side_in[k] * side_weight[k * conv_side, (k + 1) * conv_side).
    const float *side_in, *side_weight;
    int side_k_begin, side_k_end;
    float *side_acc;
};

struct PoolParams {
    const float *in;            // HWC input
    int in_w, cs;
    int k;
    float *out;                 // HWC [.][out_w][cs]
    int out_w;
    int row_begin, row_end;     // output rows
};

struct DenseParams {
    const float *in;            // row i at in + i * in_stride
    std::size_t in_stride;
    int m;                      // rows (images)
    int k_begin, k_end;         // the part of the reduction to compute
    const float *weight;        // [K][n_pad]
    const float *bias;          // [n_pad] initial values, or null for zeros
    bool accumulate;            // add to `out` instead (bias unused)
    int n_pad;                  // a multiple of vec
    bool relu;
    float *out;                 // row i at out + i * out_stride, n_pad values
    std::size_t out_stride;
};

// A general 2-D pooling (max or average; any kernel, stride, padding), or a
// depthwise convolution (one filter per channel, weight [kh][kw][cs] and bias
// [cs] zero padded, optional fused ReLU), HWC to HWC with the same channel
// stride cs (any value: the channels past the last full vector run scalar).
// Output rows [row_begin, row_end) of out_w pixels; windows are clipped to
// the input (padding: -inf for max, zeros for the depthwise convolution; for
// average, count_include_pad divides by the window clipped to the padded input).
struct WindowParams {
    const float *in;
    int in_h, in_w, cs;
    int kh, kw, sh, sw, ph, pw, dh, dw;
    float *out;
    int out_w;
    int row_begin, row_end;
    bool average, count_include_pad;   // pooling
    const float *weight, *bias;        // depthwise convolution
    bool relu;
};

struct Kernels {
    Isa isa;
    int vec;                    // floats per vector
    int conv_panel;             // output channels per packed conv panel
    int conv_side;              // the width of a convolution's side job (0: none)
    void (*conv)(const ConvParams &);
    void (*pool)(const PoolParams &);
    void (*dense)(const DenseParams &);
    void (*pool2d)(const WindowParams &);
    void (*depthwise)(const WindowParams &);
    // out[i] = f(in[i]) for i < n (in may equal out); exp, tanh and erf by
    // polynomials (a few float ulps off libm), so the loops vectorize.
    void (*pointwise)(const Pointwise &f, const float *in, float *out, long n);
};

const Kernels &kernels_scalar();
const Kernels &kernels_avx2();    // x86-64 builds only (DIGITINFER_ENGINE_X86)
const Kernels &kernels_avx512();  // x86-64 builds only (DIGITINFER_ENGINE_X86)
const Kernels &kernels_for(Isa isa);  // isa must be supported

}  // namespace digitinfer::engine
