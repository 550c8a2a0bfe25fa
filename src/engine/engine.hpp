// DigitInfer's native execution engine: runs a Plan (plan.hpp, a DAG of
// layers) with hand-written, register-blocked kernels chosen at run time for
// the CPU (AVX-512, AVX2 + FMA, or portable C++). No torch anywhere.
//
//   auto engine = Engine::create(plan);          // validates, repacks weights
//   engine->forward(images, n, out, threads);    // out: n x num_outputs()
//
// forward() is const and safe to call concurrently from many threads on one
// Engine: each calling thread (and each worker it uses) has its own scratch
// memory, grown on first use and then reused, so steady-state calls do not
// allocate.
#pragma once

#include <cstddef>
#include <memory>

#include "plan.hpp"

namespace digitinfer::engine {

// Instruction-set levels, lowest first.
enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2 };

const char *isa_name(Isa isa);                 // "scalar", "avx2", "avx512"
Isa best_supported_isa();                      // what this CPU (and OS) can run
// The level create(plan) uses: best_supported_isa(), lowered by the environment
// variable DIGITINFER_ISA=scalar|avx2|avx512 if it names a lower level (it can
// never raise it; other values are ignored). Read at every call.
Isa default_isa();

class Engine {
public:
    // Throws std::invalid_argument if the plan is not valid (shapes.hpp: sizes
    // that don't fit, weights of the wrong length, non-finite weights, ...) or
    // is over one of the engine's budgets (budgets.hpp: tensor, scratch and
    // packed-weight sizes, operations per image).
    static std::unique_ptr<Engine> create(const Plan &plan);
    // The same at a given level, lowered to what the CPU supports (tests, benchmarks).
    static std::unique_ptr<Engine> create(const Plan &plan, Isa isa);
    ~Engine();
    Engine(const Engine &) = delete;
    Engine &operator=(const Engine &) = delete;

    // input: n x (channels * height * width) floats, NCHW; output: n x
    // num_outputs() floats with plan.output applied. threads > 1 splits the
    // batch (or, for fewer images than threads, each image's rows) across that
    // many OpenMP threads; threads <= 1 runs on the calling thread.
    // Without any Linear layer, the output is the last layer's map flattened
    // in C,H,W order (the activation then runs over all of it).
    void forward(const float *input, std::size_t n, float *output, int threads) const;

    std::size_t num_inputs() const;            // channels * height * width
    std::size_t num_outputs() const;           // features per image
    Isa isa() const;                           // the level the kernels run at
    double flops_per_image() const;            // 2 x multiply-adds of the layers
    std::size_t scratch_floats() const;        // scratch a forward needs on each thread it uses
    std::size_t packed_floats() const;         // the weights as the kernels read them
    bool is_chain() const;                     // runs on the chain fast path (runner.hpp)

private:
    struct Impl;
    explicit Engine(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace digitinfer::engine
