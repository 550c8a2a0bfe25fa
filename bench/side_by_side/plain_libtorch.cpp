// What a C++ programmer gets from libtorch alone: torch::jit::load + forward
// under InferenceMode on an already-normalized [N,1,28,28] tensor (no image
// decoding or preprocessing), optionally frozen + optimize_for_inference.
//
//   plain_libtorch forward MODEL [--threads T] [--batches 1,2,4] [--freeze] [--min-time S]
//   plain_libtorch check   MODEL [--freeze]      log-probabilities of the shared test input
//   plain_libtorch once    MODEL [--threads T]   load, one forward, print digit and memory
//
// Prints one JSON object per line (see timing.hpp).
#include <ATen/Parallel.h>
#include <torch/script.h>

#include <cstdio>
#include <string>
#include <vector>

#include "timing.hpp"

namespace {

struct Options {
    std::string mode, model;
    int threads = 1;
    std::vector<std::size_t> batches{1};
    bool freeze = false;
    double min_time = 1.0;
};

Options parse(int argc, char **argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s forward|check|once MODEL [--threads T] [--batches L] [--freeze] "
                             "[--min-time S]\n", argv[0]);
        std::exit(2);
    }
    Options o;
    o.mode = argv[1];
    o.model = argv[2];
    for (int i = 3; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) { std::fprintf(stderr, "%s needs a value\n", a.c_str()); std::exit(2); }
            return argv[++i];
        };
        if (a == "--threads") o.threads = std::stoi(next());
        else if (a == "--batches") o.batches = sbs::parse_list(next());
        else if (a == "--freeze") o.freeze = true;
        else if (a == "--min-time") o.min_time = std::stod(next());
        else { std::fprintf(stderr, "unknown option %s\n", a.c_str()); std::exit(2); }
    }
    return o;
}

torch::jit::Module load(const Options &o) {
    torch::jit::Module m = torch::jit::load(o.model, torch::kCPU);
    m.eval();
    if (o.freeze) {
        m = torch::jit::freeze(m);
        m = torch::jit::optimize_for_inference(m);
    }
    return m;
}

at::Tensor input(std::size_t batch) {
    std::vector<float> x = sbs::test_batch(batch, 28 * 28);
    return torch::from_blob(x.data(), {int64_t(batch), 1, 28, 28}).clone();
}

}  // namespace

int main(int argc, char **argv) {
    const Options o = parse(argc, argv);
    at::set_num_threads(o.threads);
    torch::jit::Module m = load(o);
    const std::string impl = o.freeze ? "plain_libtorch_frozen" : "plain_libtorch";

    if (o.mode == "once") {
        c10::InferenceMode guard;
        at::Tensor out = m.forward({input(1)}).toTensor();
        std::printf("{\"impl\": \"%s\", \"kind\": \"memory\", \"digit\": %ld, %s}\n", impl.c_str(),
                    long(out.argmax(1).item<int64_t>()), sbs::memory_json().c_str());
        return 0;
    }
    if (o.mode == "check") {
        c10::InferenceMode guard;
        at::Tensor out = m.forward({input(2)}).toTensor().contiguous();
        std::printf("{\"impl\": \"%s\", \"kind\": \"check\", \"log_probabilities\": [", impl.c_str());
        const float *p = out.data_ptr<float>();
        for (int64_t i = 0; i < out.numel(); ++i) std::printf("%s%.8g", i ? ", " : "", p[i]);
        std::printf("]}\n");
        return 0;
    }
    if (o.mode != "forward") {
        std::fprintf(stderr, "unknown mode %s\n", o.mode.c_str());
        return 2;
    }
    volatile float sink = 0;
    for (std::size_t batch : o.batches) {
        at::Tensor x = input(batch);
        c10::InferenceMode guard;
        const sbs::Stats s = sbs::measure(
            [&] {
                at::Tensor out = m.forward({x}).toTensor();
                sink = sink + out.data_ptr<float>()[0];
            },
            o.min_time, batch >= 256 ? 5 : 10);
        sbs::emit(impl, "forward",
                  "\"threads\": " + std::to_string(o.threads) + ", \"batch\": " + std::to_string(batch), s);
    }
    return 0;
}
