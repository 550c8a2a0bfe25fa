// libdigitinfer_torch.so: loads TorchScript with libtorch. The only code that
// includes torch (with network_plan.cpp); see torch_backend.hpp.
#include <cstring>
#include <optional>
#include <sstream>

#include <ATen/Parallel.h>
#include <torch/script.h>

#include "failure.hpp"
#include "network_plan.hpp"
#include "torch_backend.hpp"

namespace digitinfer {
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

// Runs the module on `input`; checks that it returns a float tensor [N, K].
at::Tensor run(torch::jit::Module &module, const at::Tensor &input) {
    c10::InferenceMode guard;
    c10::IValue out = module.forward({input});
    if (!out.isTensor()) fail(DI_ERR_MODEL, "model output is a " + out.tagKind() + ", not a tensor");
    at::Tensor t = out.toTensor();
    if (t.dim() != 2 || t.size(0) != input.size(0) || t.size(1) < 1 || !t.is_floating_point())
        fail(DI_ERR_MODEL, "model maps input " + shape_of(input) + " to " + shape_of(t) + "; expected [" +
                               std::to_string(input.size(0)) + ", num_classes] floats");
    return t.to(at::kFloat).contiguous();
}

// A log_softmax row has logsumexp 0; a softmax row sums to 1 within [0, 1].
di_output_kind detect_output_kind(const at::Tensor &out) {
    const double lse = out.logsumexp(1).abs().max().item<double>();
    if (out.max().item<double>() <= 0.0 && lse < 1e-4) return DI_OUTPUT_LOG_PROBABILITIES;
    const double sum_error = (out.sum(1) - 1.0).abs().max().item<double>();
    if (out.min().item<double>() >= 0.0 && sum_error < 1e-4) return DI_OUTPUT_PROBABILITIES;
    return DI_OUTPUT_LOGITS;
}

class ModuleForward final : public TorchForward {
public:
    ModuleForward(torch::jit::Module module, const Metadata &m, int classes)
        : module_(std::move(module)), shape_{m.channels, m.height, m.width}, classes_(classes) {}

    di_status forward(const float *input, std::size_t n, float *output, std::string &error) const noexcept override {
        try {
            c10::InferenceMode guard;
            at::Tensor x = torch::from_blob(const_cast<float *>(input), {int64_t(n), shape_[0], shape_[1], shape_[2]});
            at::Tensor out = run(module_, x);
            if (out.size(1) != classes_) {
                error = "model returned " + shape_of(out) + " after " + std::to_string(classes_) +
                        " classes at load time";
                return DI_ERR_INFERENCE;
            }
            std::memcpy(output, out.data_ptr<float>(), n * std::size_t(classes_) * sizeof(float));
            return DI_OK;
        } catch (const std::bad_alloc &) {
            error = "out of memory";
            return DI_ERR_OUT_OF_MEMORY;
        } catch (const std::exception &e) {
            error = "forward failed: " + first_line(e);
            return DI_ERR_INFERENCE;
        }
    }

private:
    mutable torch::jit::Module module_;  // forward() is thread-safe but not const in libtorch
    int64_t shape_[3];
    int classes_;
};

void load(const std::string &bytes, const NetworkOptions &options, TorchModel &out) {
    if (options.threads > 0) at::set_num_threads(options.threads);
    torch::jit::Module module;
    torch::jit::ExtraFilesMap extra{{kMetadataFile, ""}};
    try {
        std::istringstream stream(bytes);
        module = torch::jit::load(stream, torch::kCPU, extra);
    } catch (const std::exception &e) {
        fail(DI_ERR_MODEL, "not a loadable TorchScript model: " + first_line(e));
    }
    Metadata &meta = out.metadata;
    if (!extra[kMetadataFile].empty()) meta = parse_metadata(extra[kMetadataFile]);
    module.eval();

    at::Tensor probe;
    try {
        // Two images, so that a model that ignores the batch dimension is caught.
        run(module, torch::zeros({2, meta.channels, meta.height, meta.width}));
        probe = run(module, torch::zeros({1, meta.channels, meta.height, meta.width}));
    } catch (const Failure &) {
        throw;
    } catch (const std::exception &e) {
        fail(DI_ERR_MODEL, "model rejects input [N, " + std::to_string(meta.channels) + ", " +
                               std::to_string(meta.height) + ", " + std::to_string(meta.width) + "]: " + first_line(e));
    }
    out.num_classes = int(probe.size(1));
    if (!meta.labels.empty() && int(meta.labels.size()) != out.num_classes)
        fail(DI_ERR_MODEL, "metadata lists " + std::to_string(meta.labels.size()) + " labels but the model has " +
                               std::to_string(out.num_classes) + " classes");
    for (int i = int(meta.labels.size()); i < out.num_classes; ++i) meta.labels.push_back(std::to_string(i));
    if (options.output != DI_OUTPUT_AUTO) meta.output = options.output;
    if (meta.output == DI_OUTPUT_AUTO) meta.output = detect_output_kind(probe);

    out.engine = DI_ENGINE_LIBTORCH_REFERENCE;
    if (options.engine != DI_ENGINE_LIBTORCH_REFERENCE) {
        try {
            torch::jit::Module frozen = torch::jit::freeze(module);
            if (options.engine != DI_ENGINE_LIBTORCH) {
                try {
                    out.plan = extract_plan(frozen, meta.channels, meta.height, meta.width);
                } catch (const std::exception &e) {
                    out.note = std::string("native engine not used: ") + e.what();
                }
            }
            torch::jit::Module optimized = torch::jit::optimize_for_inference(frozen);
            run(optimized, torch::zeros({1, meta.channels, meta.height, meta.width}));  // warm-up
            module = optimized;
            out.engine = DI_ENGINE_LIBTORCH;
        } catch (const std::exception &e) {
            out.note += (out.note.empty() ? "" : "; ") + std::string("not optimized: ") + first_line(e);
        }
    }
    out.forward = std::make_unique<ModuleForward>(std::move(module), meta, out.num_classes);
}

}  // namespace
}  // namespace digitinfer

extern "C" __attribute__((visibility("default"))) di_status digitinfer_torch_load(
    const std::string &bytes, const digitinfer::NetworkOptions &options, digitinfer::TorchModel &out,
    std::string &error) noexcept {
    try {
        digitinfer::load(bytes, options, out);
        return DI_OK;
    } catch (const digitinfer::Failure &e) {
        error = e.what();
        return e.status();
    } catch (const std::bad_alloc &) {
        error = "out of memory";
        return DI_ERR_OUT_OF_MEMORY;
    } catch (const std::exception &e) {
        error = std::string("internal error: ") + e.what();
        return DI_ERR_INTERNAL;
    }
}
