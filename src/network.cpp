#include "network.hpp"

#include <cmath>
#include <random>
#include <thread>
#include <vector>

#include "engine/engine.hpp"
#include "failure.hpp"

namespace digitinfer {

struct Network::Impl {
    Metadata metadata;
    int num_classes = 0;
    di_engine engine = DI_ENGINE_NATIVE;
    std::string engine_note;
    int threads = 1;
    std::optional<engine::Plan> plan;           // kept for native_model_file()
    std::unique_ptr<engine::Engine> native;     // set when engine == NATIVE
    std::unique_ptr<TorchForward> torch;        // set otherwise
};

namespace {

constexpr double kEngineTolerance = 1e-4;  // max |native - libtorch| accepted at load

void torch_forward(const TorchForward &torch, const float *input, std::size_t n, float *output) {
    std::string error;
    const di_status s = torch.forward(input, n, output, error);
    if (s != DI_OK) fail(s, error);
}

// The largest difference between the native engine and libtorch on
// normalized-image-like random inputs.
double disagreement(const engine::Engine &native, const TorchForward &torch, const Metadata &m, int classes) {
    constexpr std::size_t kProbes = 4;
    std::mt19937 rng(20261125);
    std::normal_distribution<float> normal(0.0f, 1.5f);
    std::vector<float> x(kProbes * std::size_t(m.channels) * std::size_t(m.height) * std::size_t(m.width));
    for (float &v : x) v = normal(rng);
    std::vector<float> expected(kProbes * std::size_t(classes)), got(expected.size());
    torch_forward(torch, x.data(), kProbes, expected.data());
    native.forward(x.data(), kProbes, got.data(), 1);
    double worst = 0.0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const double d = std::fabs(double(got[i]) - double(expected[i]));
        if (!(d <= worst)) worst = d;  // NaN propagates as a failure
    }
    return worst;
}

std::unique_ptr<engine::Engine> build_engine(const engine::Plan &plan, const Metadata &m, int classes) {
    auto native = engine::Engine::create(plan);
    if (native->num_outputs() != std::size_t(classes))
        throw std::invalid_argument("plan has " + std::to_string(native->num_outputs()) + " outputs, model " +
                                    std::to_string(classes));
    if (m.labels.size() != std::size_t(classes)) throw std::invalid_argument("label count differs from class count");
    return native;
}

std::unique_ptr<Network::Impl> load_native_file(const std::string &bytes, const NetworkOptions &options) {
    if (options.engine == DI_ENGINE_LIBTORCH || options.engine == DI_ENGINE_LIBTORCH_REFERENCE)
        fail(DI_ERR_MODEL, "a .dimodel file runs on the native engine only");
    NativeModel file = read_native_model(bytes);
    auto impl = std::make_unique<Network::Impl>();
    impl->metadata = std::move(file.metadata);
    impl->num_classes = int(impl->metadata.labels.size());
    try {
        impl->native = build_engine(file.plan, impl->metadata, impl->num_classes);
    } catch (const std::invalid_argument &e) {
        fail(DI_ERR_MODEL, std::string("corrupt .dimodel file: ") + e.what());
    }
    if (options.output != DI_OUTPUT_AUTO) impl->metadata.output = options.output;
    impl->plan = std::move(file.plan);
    return impl;
}

std::unique_ptr<Network::Impl> load_torchscript(const std::string &bytes, const NetworkOptions &options) {
    TorchModel model;
    std::string error;
    const di_status s = torch_plugin()(bytes, options, model, error);
    if (s != DI_OK) fail(s, error);
    auto impl = std::make_unique<Network::Impl>();
    impl->metadata = std::move(model.metadata);
    impl->num_classes = model.num_classes;
    impl->engine = model.engine;
    impl->engine_note = std::move(model.note);
    impl->torch = std::move(model.forward);
    if (model.plan) {
        try {
            auto native = build_engine(*model.plan, impl->metadata, impl->num_classes);
            const double error_bound = disagreement(*native, *impl->torch, impl->metadata, impl->num_classes);
            if (!(error_bound <= kEngineTolerance))
                throw std::invalid_argument("native engine differs from libtorch by " + std::to_string(error_bound));
            impl->native = std::move(native);
            impl->plan = std::move(model.plan);
            impl->engine = DI_ENGINE_NATIVE;
            impl->torch.reset();
        } catch (const std::invalid_argument &e) {
            impl->engine_note = std::string("native engine not used: ") + e.what();
        }
    }
    if (options.engine == DI_ENGINE_NATIVE && impl->engine != DI_ENGINE_NATIVE) fail(DI_ERR_MODEL, impl->engine_note);
    return impl;
}

}  // namespace

Network::Network(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Network::~Network() = default;

std::unique_ptr<Network> Network::load(const std::string &bytes, const NetworkOptions &options) {
    auto impl = is_native_model(bytes) ? load_native_file(bytes, options) : load_torchscript(bytes, options);
    impl->threads = options.threads > 0 ? options.threads : int(std::max(1u, std::thread::hardware_concurrency()));
    return std::unique_ptr<Network>(new Network(std::move(impl)));
}

const Metadata &Network::metadata() const { return impl_->metadata; }
int Network::num_classes() const { return impl_->num_classes; }
di_engine Network::engine() const { return impl_->engine; }
const std::string &Network::engine_note() const { return impl_->engine_note; }
int Network::threads() const { return impl_->threads; }

std::optional<std::string> Network::native_model_file() const {
    if (!impl_->native) return std::nullopt;
    return write_native_model({impl_->metadata, *impl_->plan});
}

void Network::forward(const float *input, std::size_t n, float *output) const {
    if (impl_->native) return impl_->native->forward(input, n, output, impl_->threads);
    torch_forward(*impl_->torch, input, n, output);
}

}  // namespace digitinfer
