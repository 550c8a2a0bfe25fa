// libFuzzer target: untrusted .dimodel bytes through read_native_model, then —
// when they parse — the native engine: Engine::create and one forward pass on
// a zero input, as loading and predicting with the file would.
//
// Expected outcomes for bad input: digitinfer::Failure (the parser) and
// std::invalid_argument (Engine::create rejecting a plan). Anything else —
// another exception, a crash, a sanitizer report, a hang (-timeout) or a blown
// memory budget (-rss_limit_mb) — is a bug.
//
// The file ends with a checksum of everything before it, which random
// mutations would almost never get right, so each input is tried twice: as it
// is (the checksum check itself), then with the checksum recomputed, so that
// the mutations reach the parser and the engine.
//
// A model that parses and builds but needs more than kMaxInputs input floats
// or kMaxFlops per image is not run (see docs/robustness.md): what it costs is
// the model's size, not a bug, and would only make the fuzzer time out.
// The engine runs at default_isa(): DIGITINFER_ISA=scalar|avx2 lowers it.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "common/failure.hpp"
#include "format/dimodel.hpp"

namespace {

constexpr std::size_t kMaxInputs = std::size_t(1) << 22;  // 16 MiB of floats
constexpr double kMaxFlops = 2e8;

// src/format/dimodel.cpp's checksum: FNV-1a 64 over every byte before the last 8.
uint64_t fnv1a(const char *data, std::size_t size) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (std::size_t i = 0; i < size; ++i) h = (h ^ uint8_t(data[i])) * 0x100000001b3ull;
    return h;
}

void load_and_run(const std::string &bytes) {
    using namespace digitinfer::core;
    namespace engine = digitinfer::engine;
    try {
        const NativeModel model = read_native_model(bytes);
        const auto engine = engine::Engine::create(model.plan);
        if (engine->num_inputs() > kMaxInputs || engine->flops_per_image() > kMaxFlops) return;
        std::vector<float> input(engine->num_inputs(), 0.0f), output(engine->num_outputs());
        engine->forward(input.data(), 1, output.data(), 1);
    } catch (const Failure &) {
    } catch (const std::invalid_argument &) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size) {
    std::string bytes(reinterpret_cast<const char *>(data), size);
    load_and_run(bytes);
    if (size < 16) return 0;
    const std::size_t body = size - 8;
    uint64_t sum = fnv1a(bytes.data(), body);
    std::string fixed = bytes;
    for (int i = 0; i < 8; ++i, sum >>= 8) fixed[body + std::size_t(i)] = char(sum & 0xff);
    if (fixed != bytes) load_and_run(fixed);
    return 0;
}
