// FMA-peak microbenchmark: many independent accumulator chains of packed
// single-precision FMAs, AVX-512 (zmm) and AVX2 (ymm), on 1 and 2 threads.
// Prints GFLOP/s (1 FMA lane = 2 FLOP). Standalone: no Google Benchmark, so
// that the number is a plain best-of-N wall-clock rate.
//
//   fma_peak [seconds-per-measurement]   (default 0.3)
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

constexpr int kChains = 12;            // > latency (4) x issue rate (2/cycle) with slack
constexpr long kInner = 1000;          // iterations between clock reads

__attribute__((target("avx512f,fma"), noinline)) float run_avx512(long iters) {
    __m512 acc[kChains];
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(float(i) * 1e-3f);
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (long it = 0; it < iters; ++it) {
#pragma GCC unroll 12
        for (int i = 0; i < kChains; ++i) {
            acc[i] = _mm512_fmadd_ps(acc[i], a, b);
            __asm__ volatile("" : "+v"(acc[i]));  // opaque: keeps every chain, in a register
        }
    }
    __m512 s = acc[0];
#pragma GCC unroll 12
    for (int i = 1; i < kChains; ++i) s = _mm512_add_ps(s, acc[i]);
    alignas(64) float t[16];
    _mm512_store_ps(t, s);
    float r = 0;
    for (float x : t) r += x;
    return r;
}

__attribute__((target("avx2,fma"), noinline)) float run_avx2(long iters) {
    __m256 acc[kChains];
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(float(i) * 1e-3f);
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (long it = 0; it < iters; ++it) {
#pragma GCC unroll 12
        for (int i = 0; i < kChains; ++i) {
            acc[i] = _mm256_fmadd_ps(acc[i], a, b);
            __asm__ volatile("" : "+v"(acc[i]));
        }
    }
    __m256 s = acc[0];
#pragma GCC unroll 12
    for (int i = 1; i < kChains; ++i) s = _mm256_add_ps(s, acc[i]);
    alignas(32) float t[8];
    _mm256_store_ps(t, s);
    float r = 0;
    for (float x : t) r += x;
    return r;
}

using Kernel = float (*)(long);

// Runs `kernel` on `threads` threads for about `seconds`; returns GFLOP/s.
double measure(Kernel kernel, int lanes, int threads, double seconds) {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<double> rate(threads);
    std::vector<std::thread> pool;
    volatile float sink = 0;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            ++ready;
            while (!go.load()) {
            }
            using clock = std::chrono::steady_clock;
            kernel(kInner * 50);  // warm up (clock ramp)
            long iters = 0;
            const auto start = clock::now();
            double elapsed = 0;
            float s = 0;
            do {
                s += kernel(kInner * 100);
                iters += kInner * 100;
                elapsed = std::chrono::duration<double>(clock::now() - start).count();
            } while (elapsed < seconds);
            sink = s;
            rate[t] = double(iters) * kChains * lanes * 2 / elapsed / 1e9;
        });
    while (ready.load() < threads) {
    }
    go = true;
    for (auto &th : pool) th.join();
    (void)sink;
    double total = 0;
    for (double r : rate) total += r;
    return total;
}

}  // namespace

int main(int argc, char **argv) {
    const double seconds = argc > 1 ? std::atof(argv[1]) : 0.3;
    __builtin_cpu_init();
    const bool has512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
    const bool has2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
    std::printf("FMA peak (fp32, %d independent chains, best of 5, %.2f s each)\n", kChains, seconds);
    for (int threads : {1, 2}) {
        if (unsigned(threads) > hw) break;
        if (has512) {
            double best = 0;
            for (int r = 0; r < 5; ++r) best = std::max(best, measure(run_avx512, 16, threads, seconds));
            std::printf("  avx512 zmm  %d thread%s: %7.1f GFLOP/s\n", threads, threads > 1 ? "s" : " ", best);
        }
        if (has2) {
            double best = 0;
            for (int r = 0; r < 5; ++r) best = std::max(best, measure(run_avx2, 8, threads, seconds));
            std::printf("  avx2   ymm  %d thread%s: %7.1f GFLOP/s\n", threads, threads > 1 ? "s" : " ", best);
        }
    }
    if (!has512 && !has2) std::printf("  no AVX2/AVX-512 FMA on this CPU\n");
    return 0;
}
