// AVX2 + FMA kernels (ymm, 8 floats). Built with -mavx2 -mfma; only ever
// called after the CPU was checked (see cpu.cpp).
#include <immintrin.h>

#include "kernels.hpp"

namespace digitinfer::engine {
namespace {

struct Ops {
    using V = __m256;
    static constexpr int W = 8;
    static V load(const float *p) { return _mm256_loadu_ps(p); }
    static void store(float *p, V v) { _mm256_storeu_ps(p, v); }
    static V bcast(const float *p) { return _mm256_broadcast_ss(p); }
    static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
    static V add(V a, V b) { return _mm256_add_ps(a, b); }
    static V zero() { return _mm256_setzero_ps(); }
    static V max(V a, V b) { return _mm256_max_ps(a, b); }
};

// 16 ymm registers: conv 6 pixels x 16 channels = 12 accumulators (+2 weights
// +1 broadcast); dense 6 rows x 16 features = 12, or one row x 32 features x 2
// accumulator sets = 8 (+4 weights +1 broadcast).
constexpr int kConvNB = 2;
constexpr int kConvR[kConvNB + 1] = {0, 12, 6};
constexpr int kConvSideNB = 0;
constexpr int kDenseNB = 2, kDenseMR = 6, kDenseNB1 = 4, kDenseU1 = 2;

#include "kernels_impl.inc"

}  // namespace

const Kernels &kernels_avx2() { return make_kernels(Isa::Avx2); }

}  // namespace digitinfer::engine
