#include "network.hpp"

#include <cstring>
#include <sstream>

#include <ATen/Parallel.h>
#include <torch/script.h>

#include "failure.hpp"

namespace digitinfer {

struct Network::Impl {
    mutable torch::jit::Module module;  // forward() is not const in libtorch, but is thread-safe
    Metadata metadata;
    int num_classes = 0;
};

namespace {

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

}  // namespace

Network::Network(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Network::~Network() = default;

std::unique_ptr<Network> Network::load(const std::string &bytes, di_output_kind forced) {
    auto impl = std::make_unique<Impl>();
    torch::jit::ExtraFilesMap extra{{kMetadataFile, ""}};
    try {
        std::istringstream stream(bytes);
        impl->module = torch::jit::load(stream, torch::kCPU, extra);
    } catch (const std::exception &e) {
        std::string why = e.what();
        fail(DI_ERR_MODEL, "not a loadable TorchScript model: " + why.substr(0, why.find('\n')));
    }
    Metadata &meta = impl->metadata;
    if (!extra[kMetadataFile].empty()) meta = parse_metadata(extra[kMetadataFile]);
    impl->module.eval();

    at::Tensor out;
    try {
        // Two images, so that a model that ignores the batch dimension is caught.
        run(impl->module, torch::zeros({2, meta.channels, meta.height, meta.width}));
        out = run(impl->module, torch::zeros({1, meta.channels, meta.height, meta.width}));
    } catch (const Failure &) {
        throw;
    } catch (const std::exception &e) {
        std::string why = e.what();
        fail(DI_ERR_MODEL, "model rejects input [N, " + std::to_string(meta.channels) + ", " +
                               std::to_string(meta.height) + ", " + std::to_string(meta.width) +
                               "]: " + why.substr(0, why.find('\n')));
    }
    impl->num_classes = int(out.size(1));
    if (!meta.labels.empty() && int(meta.labels.size()) != impl->num_classes)
        fail(DI_ERR_MODEL, "metadata lists " + std::to_string(meta.labels.size()) + " labels but the model has " +
                               std::to_string(impl->num_classes) + " classes");
    for (int i = int(meta.labels.size()); i < impl->num_classes; ++i) meta.labels.push_back(std::to_string(i));
    if (forced != DI_OUTPUT_AUTO) meta.output = forced;
    if (meta.output == DI_OUTPUT_AUTO) meta.output = detect_output_kind(out);
    return std::unique_ptr<Network>(new Network(std::move(impl)));
}

const Metadata &Network::metadata() const { return impl_->metadata; }
int Network::num_classes() const { return impl_->num_classes; }

void Network::forward(const float *input, std::size_t n, float *output) const {
    const Metadata &m = impl_->metadata;
    try {
        c10::InferenceMode guard;
        at::Tensor x = torch::from_blob(const_cast<float *>(input), {int64_t(n), m.channels, m.height, m.width});
        at::Tensor out = run(impl_->module, x);
        if (out.size(1) != impl_->num_classes)
            fail(DI_ERR_INFERENCE, "model returned " + shape_of(out) + " after " +
                                       std::to_string(impl_->num_classes) + " classes at load time");
        std::memcpy(output, out.data_ptr<float>(), n * std::size_t(impl_->num_classes) * sizeof(float));
    } catch (const Failure &) {
        throw;
    } catch (const std::bad_alloc &) {
        throw;
    } catch (const std::exception &e) {
        std::string why = e.what();
        fail(DI_ERR_INFERENCE, "forward failed: " + why.substr(0, why.find('\n')));
    }
}

void set_intra_op_threads(int threads) { at::set_num_threads(threads); }

}  // namespace digitinfer
