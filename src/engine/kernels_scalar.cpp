// Portable kernels: plain C++ over small float arrays (the compiler may
// vectorize them for the baseline ISA). No FMA contraction is required.
#include "kernels.hpp"

namespace digitinfer::engine {
namespace {

struct Ops {
    static constexpr int W = 4;
    struct V {
        float v[W];
    };
    static V load(const float *p) {
        V r;
        for (int i = 0; i < W; ++i) r.v[i] = p[i];
        return r;
    }
    static void store(float *p, V a) {
        for (int i = 0; i < W; ++i) p[i] = a.v[i];
    }
    static V bcast(const float *p) {
        V r;
        for (int i = 0; i < W; ++i) r.v[i] = *p;
        return r;
    }
    static V fma(V a, V b, V c) {
        for (int i = 0; i < W; ++i) c.v[i] += a.v[i] * b.v[i];
        return c;
    }
    static V add(V a, V b) {
        for (int i = 0; i < W; ++i) a.v[i] += b.v[i];
        return a;
    }
    static V zero() { return V{}; }
    static V max(V a, V b) {
        for (int i = 0; i < W; ++i) a.v[i] = a.v[i] > b.v[i] ? a.v[i] : b.v[i];  // like maxps: b if unordered
        return a;
    }
};

constexpr int kConvNB = 1;
constexpr int kConvR[kConvNB + 1] = {0, 4};
constexpr int kConvSideNB = 0;
constexpr int kDenseNB = 1, kDenseMR = 4, kDenseNB1 = 2, kDenseU1 = 2;

#include "kernels_impl.inc"

}  // namespace

const Kernels &kernels_scalar() { return make_kernels(Isa::Scalar); }

}  // namespace digitinfer::engine
