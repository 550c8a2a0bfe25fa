// Native engine forward-pass benchmarks on the SPEC §3 ConvNet (models/convnet.dimodel;
// random inputs: the speed does not depend on the values).
//
//   forward/<isa>/batch:<n>/threads:<t>
//
// for every ISA level the CPU supports (scalar only at small batches), batches
// 1/8/64/256 and 1/2 threads. Counters: img/s, us/img (per image, wall clock)
// and GFLOP/s (2 x multiply-adds of the layers, 6.09 MFLOP per image); compare
// the latter with fma_peak's number for the same thread count.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "format/dimodel.hpp"

using namespace digitinfer::engine;

namespace {

std::vector<float> random_values(std::size_t n, float scale, std::mt19937 &gen) {
    std::uniform_real_distribution<float> dist(-scale, scale);
    std::vector<float> v(n);
    for (float &x : v) x = dist(gen);
    return v;
}

// The default model's plan: the SPEC ConvNet with its trained weights.
Plan convnet() {
    std::ifstream in(DIGITINFER_SOURCE_DIR "/models/convnet.dimodel", std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return digitinfer::core::read_native_model(bytes).plan;
}

void forward(benchmark::State &state, const Engine *engine, int batch, int threads) {
    std::mt19937 gen(7);
    const std::vector<float> input = random_values(std::size_t(batch) * engine->num_inputs(), 1.0f, gen);
    std::vector<float> output(std::size_t(batch) * engine->num_outputs());
    engine->forward(input.data(), std::size_t(batch), output.data(), threads);  // scratch, thread pool
    for (auto _ : state) {
        engine->forward(input.data(), std::size_t(batch), output.data(), threads);
        benchmark::DoNotOptimize(output.data());
        benchmark::ClobberMemory();
    }
    const double images = double(state.iterations()) * batch;
    state.counters["img/s"] = benchmark::Counter(images, benchmark::Counter::kIsRate);
    state.counters["us/img"] =
        benchmark::Counter(images * 1e-6, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    state.counters["GFLOP/s"] =
        benchmark::Counter(images * engine->flops_per_image() * 1e-9, benchmark::Counter::kIsRate);
}

}  // namespace

int main(int argc, char **argv) {
    const Plan plan = convnet();
    std::vector<std::unique_ptr<Engine>> engines;
    for (Isa isa : {Isa::Avx512, Isa::Avx2, Isa::Scalar}) {
        if (int(isa) > int(best_supported_isa())) continue;
        engines.push_back(Engine::create(plan, isa));
        const Engine *engine = engines.back().get();
        for (int batch : {1, 8, 64, 256}) {
            if (isa == Isa::Scalar && batch > 8) continue;  // slow, for reference only
            for (int threads : {1, 2}) {
                const std::string name = std::string("forward/") + isa_name(isa) + "/batch:" + std::to_string(batch) +
                                         "/threads:" + std::to_string(threads);
                benchmark::RegisterBenchmark(name.c_str(), forward, engine, batch, threads)
                    ->UseRealTime()
                    ->Unit(benchmark::kMicrosecond);
            }
        }
    }
    std::printf("SPEC ConvNet: %.3f MFLOP per image; best ISA: %s\n", engines.front()->flops_per_image() * 1e-6,
                isa_name(best_supported_isa()));
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
