// What the engine's two runners share (internal): the Runner interface, the
// per-thread aligned scratch, the output activation and the OpenMP helper.
//  * chain_runner.cpp: the fast path for a plain chain of stride-1 unpadded
//    convolutions, k x k max-pools and Linear layers (ReLU fused), with fused
//    pooling, a software-pipelined first Linear and split-image threading;
//  * graph_runner.cpp: any plan (plan.hpp): a DAG of every operation.
#pragma once

#include <omp.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "budgets.hpp"
#include "fork_safety.hpp"
#include "kernels.hpp"

namespace digitinfer::engine::detail {

constexpr int kGroup = 16;           // images per dense group
constexpr std::size_t kAlign = 16;   // floats: 64 bytes

inline std::size_t round_up(std::size_t x, std::size_t m) { return (x + m - 1) / m * m; }

[[noreturn]] inline void invalid(const std::string &what) { throw std::invalid_argument("engine plan: " + what); }

// 64-byte aligned float storage.
struct AlignedFloats {
    float *data = nullptr;
    std::size_t capacity = 0;

    AlignedFloats() = default;
    AlignedFloats(const AlignedFloats &) = delete;
    AlignedFloats &operator=(const AlignedFloats &) = delete;
    ~AlignedFloats() { std::free(data); }

    // At least n floats; grows (discarding the contents) only when needed.
    float *reserve(std::size_t n) {
        if (n > capacity) {
            std::free(data);
            data = nullptr;
            capacity = 0;
            const std::size_t bytes = round_up((n > 0 ? n : 1) * sizeof(float), 64);
            data = static_cast<float *>(std::aligned_alloc(64, bytes));
            if (!data) throw std::bad_alloc();
            capacity = bytes / sizeof(float);
        }
        return data;
    }
};

// Per-thread scratch, shared by all engines of both kinds.
AlignedFloats &thread_scratch();

// The output activation over n values (in double); in may equal out.
void activate(const float *in, std::size_t n, float *out, Activation act);

// Runs fn(thread, threads) on `threads` OpenMP threads; rethrows the first exception.
// On the calling thread alone (fn(0, 1)) for one thread or in a forked child, whose
// OpenMP pool is gone (fork_safety.hpp).
template <class Fn>
void parallel(int threads, Fn &&fn) {
    threads = usable_threads(threads);
    if (threads <= 1) return fn(0, 1);
    std::exception_ptr error;
    std::mutex mutex;
#pragma omp parallel num_threads(threads)
    {
        try {
            fn(omp_get_thread_num(), omp_get_num_threads());
        } catch (...) {
            std::lock_guard<std::mutex> lock(mutex);
            if (!error) error = std::current_exception();
        }
    }
    if (error) std::rethrow_exception(error);
}

// Appends a block of n zeros to the packed weights (blocks start at multiples of kAlign);
// returns its offset. Throws invalid_argument, before growing, past kMaxPackedFloats.
std::size_t append_block(std::vector<float> &packed, std::size_t n);
// Throws invalid_argument when a runner's scratch per thread is over kMaxScratchFloats.
void check_scratch(std::size_t floats);

// Packs torch convolution weights [out_c][in_c][kh][kw] into the kernels'
// panels (kernels.hpp) for an input with channel stride in_cs; `dst` holds
// out_cs * kh * kw * in_cs zeros.
void pack_conv(const float *weight, int out_c, int in_c, int kh, int kw, int in_cs, int out_cs, int panel, float *dst);

class Runner {
public:
    virtual ~Runner() = default;
    // Engine::forward's contract; n > 0.
    virtual void forward(const float *input, std::size_t n, float *output, int threads) const = 0;

    const Kernels *kernels = nullptr;
    std::size_t in_size = 0, n_out = 0;
    double flops = 0;
    std::size_t scratch_floats = 0, packed_floats = 0;  // per thread; the packed weights
};

// The chain runner for `plan`, or nullptr when the plan is not a chain it runs.
std::unique_ptr<Runner> make_chain_runner(const Plan &plan, Isa isa);
// The general runner; throws invalid_argument for plans that are not valid.
std::unique_ptr<Runner> make_graph_runner(const Plan &plan, Isa isa);

}  // namespace digitinfer::engine::detail
