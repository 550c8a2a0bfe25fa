// The native engine against a naive double-precision reference, at every
// instruction-set level this CPU supports, for several plans, batch sizes and
// thread counts; plus plan validation, DIGITINFER_ISA, concurrent callers and
// allocation-free steady state.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.hpp"

using namespace digitinfer::engine;

// ---------------------------------------------------------------- allocation counting

namespace {
thread_local std::size_t tls_news = 0;
}

__attribute__((noinline)) void *operator new(std::size_t n) {
    ++tls_news;
    if (void *p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
// libstdc++'s operator delete frees with std::free, so it pairs with this.

namespace {

// ---------------------------------------------------------------- plans

struct Rng {
    std::mt19937 gen;
    explicit Rng(unsigned seed) : gen(seed) {}
    float uniform(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(gen); }
    std::vector<float> fill(std::size_t n, float scale) {
        std::vector<float> v(n);
        for (float &x : v) x = uniform(-scale, scale);
        return v;
    }
};

// torch's default initialisation range: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
Conv2d conv(Rng &rng, int in, int out, int kh, int kw, bool relu, bool bias = true) {
    Conv2d c;
    c.in_channels = in, c.out_channels = out, c.kernel_h = kh, c.kernel_w = kw, c.relu = relu;
    const float s = 1.0f / std::sqrt(float(in * kh * kw));
    c.weight = rng.fill(std::size_t(out) * in * kh * kw, s);
    if (bias) c.bias = rng.fill(std::size_t(out), s);
    return c;
}

Linear linear(Rng &rng, int in, int out, bool relu, bool bias = true) {
    Linear l;
    l.in_features = in, l.out_features = out, l.relu = relu;
    const float s = 1.0f / std::sqrt(float(in));
    l.weight = rng.fill(std::size_t(out) * in, s);
    if (bias) l.bias = rng.fill(std::size_t(out), s);
    return l;
}

MaxPool2d pool(int k) {
    MaxPool2d p;
    p.kernel = k;
    return p;
}

// SPEC §3: the handwritten-digit ConvNet.
Plan spec_convnet(unsigned seed) {
    Rng rng(seed);
    Plan p;
    p.channels = 1, p.height = 28, p.width = 28;
    p.layers = {conv(rng, 1, 16, 3, 3, true), conv(rng, 16, 32, 3, 3, true), pool(2),
                linear(rng, 32 * 12 * 12, 64, true), linear(rng, 64, 10, false)};
    p.output = Activation::LogSoftmax;
    return p;
}

struct NamedPlan {
    std::string name;
    Plan plan;
};

std::vector<NamedPlan> test_plans() {
    std::vector<NamedPlan> plans;
    plans.push_back({"spec convnet", spec_convnet(1)});
    {
        Rng rng(2);  // 3 input channels, 5x5, odd channel counts, pool 3, softmax, non-square input
        Plan p;
        p.channels = 3, p.height = 23, p.width = 19;
        p.layers = {conv(rng, 3, 7, 5, 5, true), pool(3), conv(rng, 7, 20, 3, 3, false),
                    linear(rng, 20 * 4 * 3, 33, true), linear(rng, 33, 5, false)};
        p.output = Activation::Softmax;
        plans.push_back({"3ch 5x5 pool3 softmax", p});
    }
    {
        Rng rng(3);  // wide rows and many channels: several tiles and panels per row; no bias; 1x1 and 2x4 kernels
        Plan p;
        p.channels = 2, p.height = 9, p.width = 37;
        p.layers = {conv(rng, 2, 40, 2, 4, true, false), conv(rng, 40, 48, 1, 1, true), pool(2),
                    conv(rng, 48, 17, 3, 3, false), linear(rng, 17 * 2 * 15, 100, true, false),
                    linear(rng, 100, 70, true), linear(rng, 70, 3, false)};
        p.output = Activation::LogSoftmax;
        plans.push_back({"wide, 40/48/17 channels, 1x1 and 2x4", p});
    }
    {
        Rng rng(4);  // pooling first, pool after pool, no ReLU anywhere, no activation
        Plan p;
        p.channels = 3, p.height = 30, p.width = 26;
        p.layers = {pool(2), conv(rng, 3, 16, 3, 3, false), pool(2), pool(3), linear(rng, 16 * 2 * 1, 12, false)};
        p.output = Activation::None;
        plans.push_back({"pool first, pool after pool, no relu", p});
    }
    {
        Rng rng(5);  // a multilayer perceptron straight on the NCHW input
        Plan p;
        p.channels = 2, p.height = 5, p.width = 7;
        p.layers = {linear(rng, 70, 31, true), linear(rng, 31, 9, false)};
        p.output = Activation::LogSoftmax;
        plans.push_back({"mlp", p});
    }
    {
        Rng rng(6);  // spatial layers only: the output is the last map, flattened C,H,W
        Plan p;
        p.channels = 1, p.height = 12, p.width = 14;
        p.layers = {conv(rng, 1, 5, 3, 3, true), pool(2), conv(rng, 5, 32, 3, 3, false)};
        p.output = Activation::None;
        plans.push_back({"spatial only", p});
    }
    {
        Rng rng(7);  // 32 -> 32 channels (the CS = 32 kernels), single-row output, pool 4
        Plan p;
        p.channels = 1, p.height = 11, p.width = 29;
        p.layers = {conv(rng, 1, 32, 3, 3, true), conv(rng, 32, 32, 3, 5, true), pool(4),
                    linear(rng, 32 * 1 * 5, 10, false)};
        p.output = Activation::LogSoftmax;
        plans.push_back({"32 channels, pool 4, one output row", p});
    }
    {
        Rng rng(8);  // a first Linear 57 -> 64 wide (the AVX-512 conv side job), after an unpooled 2x2 conv
        Plan p;
        p.channels = 1, p.height = 12, p.width = 11;
        p.layers = {conv(rng, 1, 32, 2, 2, true), linear(rng, 32 * 11 * 10, 57, true), linear(rng, 57, 4, false)};
        p.output = Activation::LogSoftmax;
        plans.push_back({"side job, unpooled 2x2 conv", p});
    }
    {
        Rng rng(9);  // the same after a pooled conv with padded channels (24 of 32)
        Plan p;
        p.channels = 3, p.height = 14, p.width = 13;
        p.layers = {conv(rng, 3, 20, 3, 3, false), conv(rng, 20, 24, 2, 2, true), pool(2),
                    linear(rng, 24 * 5 * 5, 64, false), linear(rng, 64, 4, false)};
        p.output = Activation::LogSoftmax;
        plans.push_back({"side job, pooled, padded channels", p});
    }
    return plans;
}

// ---------------------------------------------------------------- reference

struct Map {
    int c, h, w;
    std::vector<double> v;  // CHW
    double &at(int ch, int y, int x) { return v[(std::size_t(ch) * h + y) * w + x]; }
};

std::vector<double> reference(const Plan &plan, const float *input) {
    Map m{plan.channels, plan.height, plan.width, std::vector<double>(input, input + std::size_t(plan.channels) *
                                                                                      plan.height * plan.width)};
    std::vector<double> flat;
    bool spatial = true;
    for (const Layer &layer : plan.layers) {
        if (const auto *c = std::get_if<Conv2d>(&layer)) {
            Map o{c->out_channels, m.h - c->kernel_h + 1, m.w - c->kernel_w + 1, {}};
            o.v.assign(std::size_t(o.c) * o.h * o.w, 0.0);
            for (int oc = 0; oc < o.c; ++oc)
                for (int y = 0; y < o.h; ++y)
                    for (int x = 0; x < o.w; ++x) {
                        double s = c->bias.empty() ? 0.0 : c->bias[oc];
                        for (int ic = 0; ic < m.c; ++ic)
                            for (int ky = 0; ky < c->kernel_h; ++ky)
                                for (int kx = 0; kx < c->kernel_w; ++kx)
                                    s += double(c->weight[((std::size_t(oc) * m.c + ic) * c->kernel_h + ky) *
                                                              c->kernel_w +
                                                          kx]) *
                                         m.at(ic, y + ky, x + kx);
                        o.at(oc, y, x) = c->relu && s < 0 ? 0.0 : s;
                    }
            m = std::move(o);
        } else if (const auto *p = std::get_if<MaxPool2d>(&layer)) {
            const int k = p->kernel;
            Map o{m.c, m.h / k, m.w / k, {}};
            o.v.assign(std::size_t(o.c) * o.h * o.w, 0.0);
            for (int ch = 0; ch < o.c; ++ch)
                for (int y = 0; y < o.h; ++y)
                    for (int x = 0; x < o.w; ++x) {
                        double best = -INFINITY;
                        for (int dy = 0; dy < k; ++dy)
                            for (int dx = 0; dx < k; ++dx) best = std::max(best, m.at(ch, y * k + dy, x * k + dx));
                        o.at(ch, y, x) = best;
                    }
            m = std::move(o);
        } else {
            const auto &l = std::get<Linear>(layer);
            if (spatial) flat = m.v, spatial = false;
            std::vector<double> o(std::size_t(l.out_features));
            for (int n = 0; n < l.out_features; ++n) {
                double s = l.bias.empty() ? 0.0 : l.bias[n];
                for (int k = 0; k < l.in_features; ++k) s += double(l.weight[std::size_t(n) * l.in_features + k]) * flat[k];
                o[n] = l.relu && s < 0 ? 0.0 : s;
            }
            flat = std::move(o);
        }
    }
    if (spatial) flat = m.v;
    if (plan.output != Activation::None) {
        double mx = -INFINITY, sum = 0;
        for (double x : flat) mx = std::max(mx, x);
        for (double x : flat) sum += std::exp(x - mx);
        for (double &x : flat) x = plan.output == Activation::LogSoftmax ? x - mx - std::log(sum) : std::exp(x - mx) / sum;
    }
    return flat;
}

std::vector<Isa> supported_isas() {
    std::vector<Isa> isas;
    for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512})
        if (int(isa) <= int(best_supported_isa())) isas.push_back(isa);
    return isas;
}

std::vector<float> random_inputs(std::size_t n, unsigned seed) {
    Rng rng(seed);
    return rng.fill(n, 1.0f);
}

// Max |engine - reference| over a batch, relative to max(1, |reference|).
double max_error(const Plan &plan, const Engine &engine, const std::vector<float> &in, const std::vector<float> &out,
                 std::size_t n) {
    double worst = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::vector<double> ref = reference(plan, in.data() + i * engine.num_inputs());
        REQUIRE(ref.size() == engine.num_outputs());
        for (std::size_t j = 0; j < ref.size(); ++j) {
            const double got = out[i * ref.size() + j];
            const double err = std::abs(got - ref[j]) / std::max(1.0, std::abs(ref[j]));
            if (!(err <= worst)) worst = err;  // NaN propagates
        }
    }
    return worst;
}

constexpr double kTolerance = 1e-5;

struct ScopedEnv {
    std::string name;
    std::string old;
    bool had;
    ScopedEnv(const char *n, const char *value) : name(n) {
        const char *o = std::getenv(n);
        had = o != nullptr;
        if (had) old = o;
        setenv(n, value, 1);
    }
    ~ScopedEnv() {
        if (had) setenv(name.c_str(), old.c_str(), 1);
        else unsetenv(name.c_str());
    }
};

}  // namespace

// ---------------------------------------------------------------- tests

TEST_CASE("engine matches a double-precision reference at every ISA level") {
    for (const NamedPlan &np : test_plans()) {
        for (Isa isa : supported_isas()) {
            const auto engine = Engine::create(np.plan, isa);
            REQUIRE(engine->isa() == isa);
            for (std::size_t n : {1, 3, 17}) {
                const std::vector<float> in = random_inputs(n * engine->num_inputs(), unsigned(n) * 31 + 7);
                for (int threads : {1, 2}) {
                    INFO(np.name << ", " << isa_name(isa) << ", batch " << n << ", threads " << threads);
                    std::vector<float> out(n * engine->num_outputs(), NAN);
                    engine->forward(in.data(), n, out.data(), threads);
                    CHECK(max_error(np.plan, *engine, in, out, n) < kTolerance);
                }
            }
        }
    }
}

TEST_CASE("engine output sizes and activations") {
    const Plan plan = spec_convnet(11);
    const auto engine = Engine::create(plan);
    CHECK(engine->num_inputs() == 784);
    CHECK(engine->num_outputs() == 10);
    CHECK(engine->flops_per_image() == Approx(2.0 * (26 * 26 * 16 * 9 + 24 * 24 * 32 * 16 * 9 + 4608 * 64 + 640)));
    const std::vector<float> in = random_inputs(2 * 784, 5);
    std::vector<float> out(20);
    engine->forward(in.data(), 2, out.data(), 1);
    for (int i = 0; i < 2; ++i) {
        double s = 0;
        for (int j = 0; j < 10; ++j) s += std::exp(double(out[i * 10 + j]));
        CHECK(s == Approx(1.0).epsilon(1e-5));
    }
    engine->forward(in.data(), 0, nullptr, 2);  // nothing to do
}

TEST_CASE("engine results do not depend on batch position or image-split threads") {
    const Plan plan = spec_convnet(12);
    for (Isa isa : supported_isas()) {
        INFO(isa_name(isa));
        const auto engine = Engine::create(plan, isa);
        const std::size_t n = 37;
        const std::vector<float> in = random_inputs(n * 784, 99);
        std::vector<float> all(n * 10), one(10), par(n * 10);
        engine->forward(in.data(), n, all.data(), 1);
        engine->forward(in.data(), n, par.data(), 2);
        CHECK(all == par);  // whole images per thread: bit-identical
        for (std::size_t i = 0; i < n; i += 6) {
            engine->forward(in.data() + i * 784, 1, one.data(), 1);
            for (int j = 0; j < 10; ++j) CHECK(one[j] == Approx(all[i * 10 + j]).margin(1e-5));
        }
    }
}

TEST_CASE("engine forward is safe from concurrent threads") {
    const Plan plan = spec_convnet(13);
    const auto engine = Engine::create(plan);
    const std::size_t n = 5;
    constexpr int kCallers = 4, kRounds = 6;
    std::vector<std::vector<float>> inputs, expected;
    for (int c = 0; c < kCallers; ++c) {
        inputs.push_back(random_inputs(n * 784, 1000 + c));
        expected.emplace_back(n * 10);
        engine->forward(inputs[c].data(), n, expected[c].data(), 1);
    }
    std::atomic<int> mismatches{0};
    std::vector<std::thread> callers;
    for (int c = 0; c < kCallers; ++c)
        callers.emplace_back([&, c] {
            std::vector<float> out(n * 10), single(10);
            for (int r = 0; r < kRounds; ++r) {
                const int threads = 1 + (r + c) % 2;
                engine->forward(inputs[c].data(), n, out.data(), threads);
                if (out != expected[c]) ++mismatches;
                engine->forward(inputs[c].data() + 784, 1, single.data(), threads);  // 2 threads: split image
                for (int j = 0; j < 10; ++j)
                    if (std::abs(single[j] - expected[c][10 + j]) > 1e-5f) ++mismatches;
            }
        });
    for (auto &t : callers) t.join();
    CHECK(mismatches == 0);
}

TEST_CASE("engine forward does not allocate in steady state") {
    const Plan plan = spec_convnet(14);
    const auto engine = Engine::create(plan);
    const std::vector<float> in = random_inputs(40 * 784, 3);
    std::vector<float> out(40 * 10);
    engine->forward(in.data(), 40, out.data(), 1);  // grows this thread's scratch
    const std::size_t before = tls_news;
    for (std::size_t n : {1, 7, 40}) engine->forward(in.data(), n, out.data(), 1);
    CHECK(tls_news == before);
}

TEST_CASE("DIGITINFER_ISA lowers the level, never raises it") {
    const Plan plan = spec_convnet(15);
    const Isa best = best_supported_isa();
    {
        ScopedEnv env("DIGITINFER_ISA", "scalar");
        CHECK(default_isa() == Isa::Scalar);
        CHECK(Engine::create(plan)->isa() == Isa::Scalar);
    }
    {
        ScopedEnv env("DIGITINFER_ISA", "avx2");
        CHECK(int(default_isa()) == std::min(int(best), int(Isa::Avx2)));
    }
    {
        ScopedEnv env("DIGITINFER_ISA", "avx512");
        CHECK(default_isa() == best);
    }
    {
        ScopedEnv env("DIGITINFER_ISA", "bogus");
        CHECK(default_isa() == best);
    }
    CHECK(Engine::create(plan, Isa::Avx512)->isa() == best);  // clamped to the CPU
    CHECK(std::string(isa_name(Isa::Avx2)) == "avx2");
}

TEST_CASE("engine rejects plans that don't chain") {
    Rng rng(16);
    auto rejects = [](const Plan &p) { CHECK_THROWS_AS(Engine::create(p), std::invalid_argument); };
    Plan base = spec_convnet(16);
    REQUIRE_NOTHROW(Engine::create(base));

    Plan p = base;
    std::get<Conv2d>(p.layers[1]).in_channels = 8;  // 16 channels arrive
    rejects(p);
    p = base;
    std::get<Conv2d>(p.layers[1]).weight.pop_back();
    rejects(p);
    p = base;
    std::get<Conv2d>(p.layers[0]).bias.push_back(0.0f);
    rejects(p);
    p = base;
    std::get<Linear>(p.layers[3]).in_features = 4607;
    rejects(p);
    p = base;
    std::get<Linear>(p.layers[4]).bias.resize(3);
    rejects(p);
    p = base;
    p.layers.push_back(conv(rng, 10, 4, 1, 1, false));  // spatial after Linear
    rejects(p);
    p = base;
    p.layers.insert(p.layers.begin() + 3, pool(13));  // 12x12 map
    rejects(p);
    p = base;
    p.layers[0] = conv(rng, 1, 16, 29, 3, true);  // taller than the image
    rejects(p);
    p = base;
    p.layers.insert(p.layers.begin(), pool(0));
    rejects(p);
    p = base;
    p.channels = 0;
    rejects(p);
    p = base;
    p.channels = 2;
    rejects(p);
    p = base;
    p.output = Activation(42);
    rejects(p);
}

TEST_CASE("engine without layers passes the input through the activation") {
    Plan p;
    p.channels = 2, p.height = 2, p.width = 3;
    p.output = Activation::Softmax;
    const auto engine = Engine::create(p);
    REQUIRE(engine->num_outputs() == 12);
    const std::vector<float> in = random_inputs(24, 8);
    std::vector<float> out(24);
    engine->forward(in.data(), 2, out.data(), 2);
    CHECK(max_error(p, *engine, in, out, 2) < kTolerance);
}
