// libdigitinfer_torch.so: TorchScript through libtorch. With graph_to_plan.cpp
// the only code that includes torch; see plugin_abi.hpp. It reports what
// libtorch says and decides nothing: the core picks the engine.
#include <cstring>
#include <mutex>
#include <optional>
#include <sstream>

#include <ATen/Parallel.h>
#include <torch/script.h>

#include "common/failure.hpp"
#include "format/metadata.hpp"
#include "torch/graph_to_plan.hpp"
#include "torch/plugin_abi.hpp"

namespace digitinfer::core {
namespace {

std::string first_line(const std::exception &e) {
    const std::string what = e.what();
    return what.substr(0, what.find('\n'));
}

std::string shape_of(const at::Tensor &t) {
    std::ostringstream s;
    s << t.sizes();
    return s.str();
}

// Runs `body`, turning exceptions into a status and message.
template <class Body>
di_status reported(std::string &error, di_status on_exception, const char *prefix, Body &&body) noexcept {
    try {
        body();
        return DI_OK;
    } catch (const Failure &e) {
        error = e.what();
        return e.status();
    } catch (const std::bad_alloc &) {
        error = "out of memory";
        return DI_ERR_OUT_OF_MEMORY;
    } catch (const std::exception &e) {
        error = prefix + first_line(e);
        return on_exception;
    }
}

at::Tensor zeros(const TorchShape &s) { return torch::zeros({1, s.channels, s.height, s.width}); }

class Module final : public TorchModule {
public:
    Module(torch::jit::Module module, std::string metadata)
        : module_(std::move(module)), metadata_(std::move(metadata)) {}

    const std::string &metadata_json() const noexcept override { return metadata_; }

    di_status run(const float *input, std::size_t n, const TorchShape &s, std::vector<float> &output, int &classes,
                  std::string &error) const noexcept override {
        return reported(error, DI_ERR_INFERENCE, "forward failed: ", [&] {
            c10::InferenceMode guard;
            at::Tensor x = torch::from_blob(const_cast<float *>(input), {int64_t(n), s.channels, s.height, s.width});
            const at::Tensor out = forward(x);
            classes = int(out.size(1));
            output.resize(n * std::size_t(classes));
            std::memcpy(output.data(), out.data_ptr<float>(), output.size() * sizeof(float));
        });
    }

    di_status lower(const TorchShape &s, engine::Plan &plan, std::string &error) noexcept override {
        return reported(error, DI_ERR_MODEL, "", [&] {
            try {
                plan = extract_plan(frozen(), s.channels, s.height, s.width);
            } catch (const std::invalid_argument &e) {
                fail(DI_ERR_MODEL, e.what());
            }
        });
    }

    di_status optimize(const TorchShape &s, std::string &error) noexcept override {
        return reported(error, DI_ERR_MODEL, "", [&] {
            torch::jit::Module optimized = torch::jit::optimize_for_inference(frozen());
            forward_of(optimized, zeros(s));  // warm-up, and proof that it runs
            optimized_ = std::move(optimized);
        });
    }

private:
    // Output must be a float tensor [N, K].
    static at::Tensor forward_of(torch::jit::Module &module, const at::Tensor &input) {
        c10::InferenceMode guard;
        c10::IValue out = module.forward({input});
        if (!out.isTensor()) fail(DI_ERR_MODEL, "model output is a " + out.tagKind() + ", not a tensor");
        at::Tensor t = out.toTensor();
        if (t.dim() != 2 || t.size(0) != input.size(0) || t.size(1) < 1 || !t.is_floating_point())
            fail(DI_ERR_MODEL, "model maps input " + shape_of(input) + " to " + shape_of(t) + "; expected [" +
                                   std::to_string(input.size(0)) + ", num_classes] floats");
        return t.to(at::kFloat).contiguous();
    }
    void unoptimize() noexcept override { optimized_.reset(); }

    at::Tensor forward(const at::Tensor &input) const { return forward_of(optimized_ ? *optimized_ : module_, input); }

    torch::jit::Module &frozen() {
        if (!frozen_) frozen_ = torch::jit::freeze(module_);
        return *frozen_;
    }

    mutable torch::jit::Module module_;  // forward() is thread-safe but not const in libtorch
    mutable std::optional<torch::jit::Module> optimized_;
    std::optional<torch::jit::Module> frozen_;
    std::string metadata_;
};

void open(const std::string &bytes, int threads, std::unique_ptr<TorchModule> &out) {
    if (threads > 0) at::set_num_threads(threads);
    torch::jit::Module module;
    torch::jit::ExtraFilesMap extra{{kMetadataFile, ""}};
    try {
        std::istringstream stream(bytes);
        module = torch::jit::load(stream, torch::kCPU, extra);
    } catch (const std::exception &e) {
        fail(DI_ERR_MODEL, "not a loadable TorchScript model: " + first_line(e));
    }
    module.eval();
    out = std::make_unique<Module>(std::move(module), extra[kMetadataFile]);
}

}  // namespace
}  // namespace digitinfer::core

extern "C" {

__attribute__((visibility("default"))) const char *digitinfer_torch_fingerprint() noexcept {
    return digitinfer::core::kTorchPluginFingerprint;
}

__attribute__((visibility("default"))) di_status digitinfer_torch_open(
    const std::string &bytes, int threads, std::unique_ptr<digitinfer::core::TorchModule> &out,
    std::string &error) noexcept {
    return digitinfer::core::reported(error, DI_ERR_INTERNAL, "internal error: ",
                                      [&] { digitinfer::core::open(bytes, threads, out); });
}

}  // extern "C"
