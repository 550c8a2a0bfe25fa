// The Engine facade: checks and simplifies the plan, then runs it on the chain
// runner when it is a plain chain (the hand-tuned fast path) and on the graph
// runner otherwise (runner.hpp). Also what both runners share.
#include "engine.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "passes.hpp"
#include "runner.hpp"

namespace digitinfer::engine {

namespace detail {

AlignedFloats &thread_scratch() {
    thread_local AlignedFloats scratch;
    return scratch;
}

void activate(const float *in, std::size_t n, float *out, Activation act) {
    if (act == Activation::None) {
        if (in != out) std::memmove(out, in, n * sizeof(float));
        return;
    }
    double m = -INFINITY;
    for (std::size_t i = 0; i < n; ++i) m = std::max(m, double(in[i]));
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) s += std::exp(double(in[i]) - m);
    if (act == Activation::LogSoftmax) {
        // (x - m) - log(s): m + log(s) rounds back to m once m is large (1e16 in double).
        const double log_s = std::log(s);
        for (std::size_t i = 0; i < n; ++i) out[i] = float(double(in[i]) - m - log_s);
    } else {
        for (std::size_t i = 0; i < n; ++i) out[i] = float(std::exp(double(in[i]) - m) / s);
    }
}

std::size_t append_block(std::vector<float> &packed, std::size_t n) {
    const std::size_t off = packed.size(), size = off + round_up(n, kAlign);
    if (size > kMaxPackedFloats)
        invalid("the packed weights need over " + std::to_string(kMaxPackedFloats) + " floats, the engine's limit");
    packed.resize(size, 0.0f);
    return off;
}

void check_scratch(std::size_t floats) {
    if (floats > kMaxScratchFloats)
        invalid("needs " + std::to_string(floats) + " floats of scratch per thread, over the engine's limit of " +
                std::to_string(kMaxScratchFloats));
}

void pack_conv(const float *weight, int out_c, int in_c, int kh, int kw, int in_cs, int out_cs, int panel, float *dst) {
    const std::size_t J = std::size_t(kw) * in_cs, P = std::size_t(panel);
    for (std::size_t ps = 0; ps < std::size_t(out_cs); ps += P) {
        const std::size_t pw = std::min(P, std::size_t(out_cs) - ps);
        float *p = dst + ps * kh * J;
        for (std::size_t o = 0; o < pw && int(ps + o) < out_c; ++o)
            for (int y = 0; y < kh; ++y)
                for (int x = 0; x < kw; ++x)
                    for (int i = 0; i < in_c; ++i)
                        p[(y * J + std::size_t(x) * in_cs + i) * pw + o] =
                            weight[((((ps + o) * in_c) + i) * kh + y) * kw + x];
    }
}

}  // namespace detail

struct Engine::Impl {
    std::unique_ptr<detail::Runner> runner;
    bool chain = false;
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

std::unique_ptr<Engine> Engine::create(const Plan &plan) { return create(plan, default_isa()); }

std::unique_ptr<Engine> Engine::create(const Plan &plan, Isa isa) {
    const Plan simple = simplify(plan);  // checks the plan first (infer_shapes): throws for an invalid one
    auto impl = std::make_unique<Impl>();
    if ((impl->runner = detail::make_chain_runner(simple, isa)))
        impl->chain = true;
    else
        impl->runner = detail::make_graph_runner(simple, isa);
    return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

void Engine::forward(const float *input, std::size_t n, float *output, int threads) const {
    if (n > 0) impl_->runner->forward(input, n, output, threads);
}

std::size_t Engine::num_inputs() const { return impl_->runner->in_size; }
std::size_t Engine::num_outputs() const { return impl_->runner->n_out; }
Isa Engine::isa() const { return impl_->runner->kernels->isa; }
double Engine::flops_per_image() const { return impl_->runner->flops; }
std::size_t Engine::scratch_floats() const { return impl_->runner->scratch_floats; }
std::size_t Engine::packed_floats() const { return impl_->runner->packed_floats; }
bool Engine::is_chain() const { return impl_->chain; }

}  // namespace digitinfer::engine
