// AVX-512 kernels (zmm, 16 floats). Built with -mavx512f -mavx512bw -mavx512vl
// -mfma; only ever called after the CPU was checked (see cpu.cpp).
#include <immintrin.h>

// GCC 12's _mm512_max_ps passes _mm512_undefined_ps() (`__m512 __Y = __Y;`)
// and then warns about it (GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "kernels.hpp"

namespace digitinfer::engine {
namespace {

struct Ops {
    using V = __m512;
    static constexpr int W = 16;
    static V load(const float *p) { return _mm512_loadu_ps(p); }
    static void store(float *p, V v) { _mm512_storeu_ps(p, v); }
    static V bcast(const float *p) { return _mm512_set1_ps(*p); }
    static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
    static V add(V a, V b) { return _mm512_add_ps(a, b); }
    static V zero() { return _mm512_setzero_ps(); }
    static V max(V a, V b) { return _mm512_max_ps(a, b); }
};

// 32 zmm registers: conv 12 pixels x 32 channels = 24 accumulators (+2 weights,
// the broadcast folds into the FMA); dense 6 rows x 64 features = 24.
constexpr int kConvNB = 2;
constexpr int kConvR[kConvNB + 1] = {0, 24, 12};
constexpr int kConvSideNB = 4;
constexpr int kDenseNB = 4, kDenseMR = 6, kDenseNB1 = 4, kDenseU1 = 2;

#include "kernels_impl.inc"

}  // namespace

const Kernels &kernels_avx512() { return make_kernels(Isa::Avx512); }

}  // namespace digitinfer::engine
