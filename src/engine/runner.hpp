// What the engine's two runners share (internal): the Runner interface, the
// per-thread aligned scratch, the output activation and the threading policy.
//  * chain_runner.cpp: the fast path for a plain chain of stride-1 unpadded
//    convolutions, k x k max-pools and Linear layers (ReLU fused), with fused
//    pooling, a software-pipelined first Linear and split-image threading;
//  * graph_runner.cpp: any plan (plan.hpp): a DAG of every operation.
#pragma once

#include <algorithm>
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
#include "thread_pool.hpp"

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

// The threads worth using for `flops` of work: one per kFlopsPerThread (about
// 120 us of one core's work), at most `threads`. Below that, handing work to a
// worker costs more than it saves, and on a busy machine far more
// (docs/benchmarks.md, "Threads"): one image of the reference ConvNet (6.1 MFLOP)
// stays on the calling thread, a batch takes two threads from 7 images on.
constexpr double kFlopsPerThread = 20e6;
inline int threads_worth(double flops, int threads) {
    return flops >= double(threads) * kFlopsPerThread ? threads : std::max(1, int(flops / kFlopsPerThread));
}

// Runs fn(range_begin, range_end) over [0, n) in tasks on the thread pool
// (thread_pool.hpp): up to 4 per thread, of at least kGroup items where that
// still gives each thread one, so a thread the scheduler delays holds up little.
template <class Fn>
void parallel_ranges(std::size_t n, int threads, Fn &&fn) {
    const std::size_t t = std::size_t(std::max(1, threads));
    const std::size_t tasks = std::min(n, std::clamp(n / kGroup, t, 4 * t));
    parallel_for(tasks, threads, [&](std::size_t i) { fn(n * i / tasks, n * (i + 1) / tasks); });
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
