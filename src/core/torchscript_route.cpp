// A TorchScript archive, from bytes to a NetworkParts: the plugin loads it and
// runs it; here we read its metadata, check its shapes, resolve its output
// kind, and choose its engine: the native engine when the graph lowers to a
// plan that agrees with libtorch, else libtorch (optimized unless the
// reference module is asked for). The module is never optimized when the
// native engine wins.
#include <cmath>
#include <random>
#include <vector>

#include "common/failure.hpp"
#include "core/network.hpp"
#include "engine/passes.hpp"

namespace digitinfer::core {
namespace {

constexpr double kEngineTolerance = 1e-4;  // max |native - libtorch| accepted at load

std::string shape_text(const TorchShape &s) {
    return "[N, " + std::to_string(s.channels) + ", " + std::to_string(s.height) + ", " + std::to_string(s.width) + "]";
}

// Runs the module on n images at load time: a failure is the model's fault, running past a
// budget and producing non-finite scores included.
std::vector<float> probe(const TorchModule &module, const float *input, std::size_t n, const TorchShape &shape,
                         int &classes) {
    std::vector<float> out;
    std::string error;
    const di_status s = module.run(input, n, shape, out, classes, error);
    if (s == DI_ERR_INFERENCE) fail(DI_ERR_MODEL, "model rejects input " + shape_text(shape) + ": " + error);
    if (s == DI_ERR_OUT_OF_MEMORY) fail(DI_ERR_MODEL, "model fails the load-time check: " + error);
    if (s != DI_OK) fail(s, error);
    if (const std::string bad = non_finite_scores(out.data(), n, std::size_t(classes)); !bad.empty())
        fail(DI_ERR_MODEL, "model fails the load-time check: " + bad);
    return out;
}

// A log_softmax row has logsumexp 0; a softmax row sums to 1 within [0, 1].
di_output_kind detect_output_kind(const std::vector<float> &row) {
    double max = -INFINITY, min = INFINITY, sum = 0.0, exp_sum = 0.0;
    for (float v : row) max = std::max(max, double(v)), min = std::min(min, double(v)), sum += v;
    for (float v : row) exp_sum += std::exp(double(v) - max);
    const double logsumexp = max + std::log(exp_sum);
    if (max <= 0.0 && std::fabs(logsumexp) < 1e-4) return DI_OUTPUT_LOG_PROBABILITIES;
    if (min >= 0.0 && std::fabs(sum - 1.0) < 1e-4) return DI_OUTPUT_PROBABILITIES;
    return DI_OUTPUT_LOGITS;
}

// Normalized-image-like random inputs, the same at every load.
std::vector<float> probe_inputs(std::size_t n, const TorchShape &shape) {
    std::mt19937 rng(20261125);
    std::normal_distribution<float> normal(0.0f, 1.5f);
    std::vector<float> x(n * std::size_t(shape.channels) * std::size_t(shape.height) * std::size_t(shape.width));
    for (float &v : x) v = normal(rng);
    return x;
}

// The largest |a - b| over [begin, end); NaN counts as infinitely far.
double max_difference(const std::vector<float> &a, const std::vector<float> &b, std::size_t begin, std::size_t end,
                      double worst = 0.0) {
    for (std::size_t i = begin; i < end; ++i) {
        const double d = std::fabs(double(a[i]) - double(b[i]));
        if (!(d <= worst)) worst = d;  // NaN propagates as a failure
    }
    return worst;
}

constexpr std::size_t kProbes = 17;  // a group of 16 and a remainder

// The largest difference between the native engine and the module as loaded
// over every path the engine takes: whole batches on one and two threads,
// single images on one thread and split across two.
double disagreement(const engine::Engine &native, const TorchModule &torch, const TorchShape &shape) {
    const std::vector<float> x = probe_inputs(kProbes, shape);
    int classes = 0;
    const std::vector<float> expected = probe(torch, x.data(), kProbes, shape, classes);
    const std::size_t k = std::size_t(classes), in_size = x.size() / kProbes;
    std::vector<float> got(expected.size());
    double worst = 0.0;
    for (int threads : {1, 2}) {
        native.forward(x.data(), kProbes, got.data(), threads);
        worst = max_difference(expected, got, 0, got.size(), worst);
        for (std::size_t i = 0; i < 2; ++i) {
            native.forward(x.data() + i * in_size, 1, got.data() + i * k, threads);
            worst = max_difference(expected, got, i * k, (i + 1) * k, worst);
        }
    }
    return worst;
}

// libtorch's optimize_for_inference, kept only if it computes what the module as
// loaded does: torch 1.13 fuses a convolution's Hardtanh (ReLU6) into an MKLDNN
// op that does not clamp, and then answers wrongly.
bool optimize(TorchModule &torch, const TorchShape &shape, std::string &note) {
    const std::vector<float> x = probe_inputs(kProbes, shape);
    int classes = 0;
    const std::vector<float> expected = probe(torch, x.data(), kProbes, shape, classes);
    std::string error;
    if (const di_status s = torch.optimize(shape, error); s != DI_OK) {
        note = "libtorch's optimize_for_inference fails on this graph, so it runs as loaded";
        if (s != DI_ERR_MODEL) note += " (" + error + ")";  // a budget; a DI_ERR_MODEL is an internal assert at best
        return false;
    }
    const double d = max_difference(expected, probe(torch, x.data(), kProbes, shape, classes), 0, expected.size());
    if (d <= kEngineTolerance) return true;
    torch.unoptimize();
    note = "libtorch's optimize_for_inference changes this model's results (by " + std::to_string(d) +
           "), so it runs as loaded";
    return false;
}

// The native engine for the module, or nullptr with `why` set.
std::unique_ptr<engine::Engine> native_engine(NetworkParts &parts, std::string &why) {
    engine::Plan plan;
    if (parts.torch->lower(parts.shape, plan, why) != DI_OK) return nullptr;
    try {
        plan = engine::simplify(plan);  // what the .dimodel stores: batch norms folded, activations fused
        auto native = build_engine(plan, parts.metadata, parts.num_classes);
        const double error_bound = disagreement(*native, *parts.torch, parts.shape);
        if (!(error_bound <= kEngineTolerance)) {
            why = "native engine differs from libtorch by " + std::to_string(error_bound);
            return nullptr;
        }
        parts.plan = std::move(plan);
        return native;
    } catch (const std::invalid_argument &e) {
        why = e.what();
        return nullptr;
    }
}

}  // namespace

NetworkParts load_torchscript(const std::string &bytes, const NetworkOptions &options) {
    NetworkParts parts;
    std::string error;
    const TorchOpenOptions open_options{options.threads, options.trusted, options.torch_time_limit_ms,
                                        options.torch_memory_limit_bytes};
    if (const di_status s = torch_plugin()(bytes, open_options, parts.torch, error); s != DI_OK) fail(s, error);
    Metadata &meta = parts.metadata;
    if (!parts.torch->metadata_json().empty()) meta = parse_metadata(parts.torch->metadata_json());
    parts.shape = {meta.channels, meta.height, meta.width};

    // Two images, so that a model that ignores the batch dimension is caught.
    const std::vector<float> zeros(2 * std::size_t(meta.channels) * std::size_t(meta.height) * std::size_t(meta.width));
    int classes = 0;
    probe(*parts.torch, zeros.data(), 2, parts.shape, classes);
    const std::vector<float> row = probe(*parts.torch, zeros.data(), 1, parts.shape, classes);
    parts.num_classes = classes;
    if (!meta.labels.empty() && int(meta.labels.size()) != classes)
        fail(DI_ERR_MODEL, "metadata lists " + std::to_string(meta.labels.size()) + " labels but the model has " +
                               std::to_string(classes) + " classes");
    for (int i = int(meta.labels.size()); i < classes; ++i) meta.labels.push_back(std::to_string(i));
    if (options.output != DI_OUTPUT_AUTO) {
        meta.output = options.output;  // the caller's reading of the scores, whatever they are
    } else if (meta.output == DI_OUTPUT_AUTO) {
        meta.output = detect_output_kind(row);
    } else if (meta.output != DI_OUTPUT_LOGITS && detect_output_kind(row) != meta.output) {
        // Else its "probabilities" would not sum to 1.
        fail(DI_ERR_MODEL, std::string("the model's metadata says it returns ") + di_output_kind_name(meta.output) +
                               ", but its scores for a blank image are not: declare \"logits\" (or pass output_kind)");
    }

    if (options.engine == DI_ENGINE_AUTO || options.engine == DI_ENGINE_NATIVE) {
        std::string why;
        if ((parts.native = native_engine(parts, why))) {
            parts.engine = DI_ENGINE_NATIVE;
            parts.torch.reset();
            return parts;
        }
        parts.engine_note = "native engine not used: " + why;
        if (options.engine == DI_ENGINE_NATIVE) fail(DI_ERR_MODEL, parts.engine_note);
    }
    parts.engine = DI_ENGINE_LIBTORCH_REFERENCE;
    if (options.engine != DI_ENGINE_LIBTORCH_REFERENCE) {
        std::string note;
        if (optimize(*parts.torch, parts.shape, note))
            parts.engine = DI_ENGINE_LIBTORCH;
        else
            parts.engine_note += (parts.engine_note.empty() ? "" : "; ") + note;
    }
    return parts;
}

}  // namespace digitinfer::core
