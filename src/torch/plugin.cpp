// libdigitinfer_torch.so: TorchScript through libtorch. With graph_to_plan.cpp
// the only code that includes torch; see plugin_abi.hpp. It reports what
// libtorch says and decides nothing: the core picks the engine.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <optional>
#include <sstream>

#include <ATen/Parallel.h>
#include <torch/script.h>

#include "common/failure.hpp"
#include "format/metadata.hpp"
#include "torch/archive_code.hpp"
#include "torch/budget.hpp"
#include "torch/forward_code.hpp"
#include "torch/graph_to_plan.hpp"
#include "torch/op_allowlist.hpp"
#include "torch/plugin_abi.hpp"
#include "torch/tensor_check.hpp"

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

std::size_t image_floats(const TorchShape &s) {
    return std::size_t(s.channels) * std::size_t(s.height) * std::size_t(s.width);
}

// A copy of n images that torch owns: a model may write into its input in place.
at::Tensor copy_of(const float *input, std::size_t n, const TorchShape &s) {
    at::Tensor x = torch::empty({int64_t(n), s.channels, s.height, s.width});
    std::memcpy(x.data_ptr<float>(), input, n * image_floats(s) * sizeof(float));
    return x;
}

// Most images one forward gets: large batches run in chunks, fewer when one needs more memory
// than the limit allows (run() halves it then).
constexpr std::size_t kMaxChunk = 256;

class Module final : public TorchModule {
public:
    Module(torch::jit::Module module, std::string metadata, const TorchOpenOptions &options)
        : module_(std::move(module)), metadata_(std::move(metadata)), limits_(options) {}

    const std::string &metadata_json() const noexcept override { return metadata_; }

    di_status run(const float *input, std::size_t n, const TorchShape &s, std::vector<float> &output, int &classes,
                  std::string &error) const noexcept override {
        return reported(error, DI_ERR_INFERENCE, "forward failed: ", [&] {
            output.clear();
            for (std::size_t done = 0; done < n;) {
                const std::size_t count = std::min(n - done, chunk_.load());
                at::Tensor out;
                try {
                    out = budgeted_forward(copy_of(input + done * image_floats(s), count, s));
                } catch (const Failure &e) {
                    if (e.status() != DI_ERR_OUT_OF_MEMORY || count == 1) throw;
                    chunk_ = count / 2;  // and again, until one forward fits
                    continue;
                }
                if (done == 0) classes = int(out.size(1));
                if (out.size(1) != classes)
                    fail(DI_ERR_INFERENCE, "model returned " + std::to_string(out.size(1)) + " classes after " +
                                               std::to_string(classes));
                output.insert(output.end(), out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
                done += count;
            }
        });
    }

    di_status lower(const TorchShape &s, engine::Plan &plan, std::string &error) noexcept override {
        return reported(error, DI_ERR_MODEL, "", [&] {
            under_budget(limits_, [&] {
                try {
                    plan = extract_plan(frozen(), s.channels, s.height, s.width);
                } catch (const std::invalid_argument &e) {
                    fail(DI_ERR_MODEL, e.what());
                }
            });
        });
    }

    di_status optimize(const TorchShape &s, std::string &error) noexcept override {
        return reported(error, DI_ERR_MODEL, "", [&] {
            torch::jit::Module optimized;
            under_budget(limits_, [&] { optimized = torch::jit::optimize_for_inference(frozen()); });
            under_budget(limits_, [&] { forward_of(optimized, zeros(s)); });  // warm-up, and proof that it runs
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

    at::Tensor budgeted_forward(const at::Tensor &input) const {
        at::Tensor out;
        under_budget(limits_, [&] { out = forward_of(optimized_ ? *optimized_ : module_, input); });
        return out;
    }

    torch::jit::Module &frozen() {
        if (!frozen_) frozen_ = torch::jit::freeze(module_);
        return *frozen_;
    }

    mutable torch::jit::Module module_;  // forward() is thread-safe but not const in libtorch
    mutable std::optional<torch::jit::Module> optimized_;
    std::optional<torch::jit::Module> frozen_;
    std::string metadata_;
    TorchOpenOptions limits_;
    mutable std::atomic<std::size_t> chunk_{kMaxChunk};
};

const char *const kHowToTrust =
    "load with DI_LOAD_TRUSTED_MODEL (--trust-model) if you trust this file as you would a program";

// What `read` returns; the archive reader's exception, when the bytes are no archive, fails the load.
template <class Read>
auto read_archive(Read &&read) {
    try {
        return read();
    } catch (const std::exception &e) {
        fail(DI_ERR_MODEL, "not a loadable TorchScript model: " + first_line(e));
    }
}

// Untrusted: torch::jit::load would run the archive's __setstate__.
void refuse_setstate(const std::string &bytes) {
    const std::string record = read_archive([&] { return setstate_record(bytes); });
    if (!record.empty())
        fail(DI_ERR_MODEL, "the model's code defines or calls __setstate__ (" + record +
                               "), which runs while the file is loaded; " + kHowToTrust);
}

// Trusted or not: what libtorch 1.13's importer would crash on, or exhaust memory with.
void refuse_what_libtorch_mishandles(const std::string &bytes) {
    const std::string constant = read_archive([&] { return untyped_class_constant(bytes); });
    const std::string pickle = read_archive([&] { return pickle_record_fault(bytes); });
    if (!constant.empty())
        fail(DI_ERR_MODEL, "not a loadable TorchScript model: a class constant without a type (" + constant +
                               "); libtorch's exporter writes `name : Final[T] = value`");
    if (!pickle.empty()) fail(DI_ERR_MODEL, "not a loadable TorchScript model: a corrupt pickle (" + pickle + ")");
}

// Untrusted: every operator forward reaches must be on the allow-list.
void refuse_operators(const ForwardCode &code) {
    const std::vector<std::string> refused = refused_operators(code);
    if (refused.empty()) return;
    std::string list;
    for (const std::string &op : refused) list += (list.empty() ? "" : ", ") + op;
    fail(DI_ERR_MODEL, "the model runs operators outside the allow-list of pure tensor math (" + list + "); " +
                           kHowToTrust);
}

void open(const std::string &bytes, const TorchOpenOptions &options, std::unique_ptr<TorchModule> &out) {
    if (!install_budget_allocator() && options.memory_limit_bytes != 0)
        fail(DI_ERR_INTERNAL, "another libtorch CPU allocator has taken precedence over DigitInfer's, so the "
                              "memory limit cannot be enforced; set torch_memory_limit_bytes to 0 to load anyway");
    if (options.threads > 0) at::set_num_threads(options.threads);
    // Trusted or not: a corrupt debug record crashes libtorch.
    const std::optional<std::string> stripped = read_archive([&] { return without_debug_records(bytes); });
    const std::string &archive = stripped ? *stripped : bytes;
    refuse_what_libtorch_mishandles(archive);
    if (!options.trusted) refuse_setstate(archive);
    torch::jit::Module module;
    torch::jit::ExtraFilesMap extra{{kMetadataFile, ""}};
    ForwardCode code;
    try {
        std::istringstream stream(archive);
        // Trusted, loading may run __setstate__: under the time limit (its allocations are checked).
        TorchOpenOptions load_limits = options;
        load_limits.memory_limit_bytes = 0;  // the weights are what the file holds, not a forward's work
        under_budget(load_limits, [&] { module = torch::jit::load(stream, torch::kCPU, extra); });
        code = forward_code(module);
    } catch (const Failure &e) {
        fail(DI_ERR_MODEL, std::string("while loading the model: ") + e.what());
    } catch (const std::exception &e) {
        fail(DI_ERR_MODEL, "not a loadable TorchScript model: " + first_line(e));
    }
    module.eval();
    check_tensors(module, code);
    if (!options.trusted) refuse_operators(code);
    insert_loop_checks(code);  // before anything runs forward: its executor is built from these graphs
    out = std::make_unique<Module>(std::move(module), extra[kMetadataFile], options);
}

}  // namespace
}  // namespace digitinfer::core

extern "C" {

__attribute__((visibility("default"))) const char *digitinfer_torch_fingerprint() noexcept {
    return digitinfer::core::kTorchPluginFingerprint;
}

__attribute__((visibility("default"))) di_status digitinfer_torch_open(
    const std::string &bytes, const digitinfer::core::TorchOpenOptions &options,
    std::unique_ptr<digitinfer::core::TorchModule> &out, std::string &error) noexcept {
    return digitinfer::core::reported(error, DI_ERR_INTERNAL, "internal error: ",
                                      [&] { digitinfer::core::open(bytes, options, out); });
}

}  // extern "C"
