#include "core/network.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include "common/failure.hpp"
#include "common/sha256.hpp"
#include "core/scratch.hpp"
#include "format/dimodel.hpp"
#include "format/model_file.hpp"
#include "engine/passes.hpp"
#include "onnx/onnx_to_plan.hpp"

namespace digitinfer::core {

std::unique_ptr<engine::Engine> build_engine(const engine::Plan &plan, const Metadata &m, int classes) {
    auto native = engine::Engine::create(plan);
    if (native->num_outputs() != std::size_t(classes))
        throw std::invalid_argument("plan has " + std::to_string(native->num_outputs()) + " outputs, model " +
                                    std::to_string(classes));
    if (m.labels.size() != std::size_t(classes)) throw std::invalid_argument("label count differs from class count");
    return native;
}

namespace {

// A plan read from a file that only the native engine runs (`kind`: ".dimodel", "ONNX model").
NetworkParts native_parts(Metadata metadata, engine::Plan plan, const NetworkOptions &options, const char *kind) {
    NetworkParts parts;
    parts.metadata = std::move(metadata);
    parts.num_classes = int(parts.metadata.labels.size());
    try {
        parts.native = build_engine(plan, parts.metadata, parts.num_classes);
    } catch (const std::invalid_argument &e) {
        // Shapes that do not fit and budgets the engine will not spend: neither is corruption.
        fail(DI_ERR_MODEL, std::string("the native engine cannot run this ") + kind + ": " + e.what());
    }
    if (options.output != DI_OUTPUT_AUTO) parts.metadata.output = options.output;
    parts.plan = std::move(plan);
    return parts;
}

bool libtorch_asked(const NetworkOptions &options) {
    return options.engine == DI_ENGINE_LIBTORCH || options.engine == DI_ENGINE_LIBTORCH_REFERENCE;
}

NetworkParts load_dimodel(const std::string &bytes, const NetworkOptions &options) {
    if (libtorch_asked(options)) fail(DI_ERR_MODEL, "a .dimodel file runs on the native engine only");
    NativeModel file = read_native_model(bytes);
    return native_parts(std::move(file.metadata), std::move(file.plan), options, ".dimodel");
}

// An ONNX model (src/onnx): lowered to a plan at every load (no cache: no libtorch to save).
NetworkParts load_onnx(const std::string &bytes, const NetworkOptions &options) {
    if (libtorch_asked(options)) fail(DI_ERR_MODEL, "an ONNX model runs on the native engine only");
    OnnxModel file = read_onnx_model(bytes);
    engine::Plan plan;
    try {
        plan = engine::simplify(file.plan);
    } catch (const std::invalid_argument &e) {
        fail(DI_ERR_MODEL, std::string("the native engine cannot run this ONNX model: ") + e.what());
    }
    return native_parts(std::move(file.metadata), std::move(plan), options, "ONNX model");
}

// A TorchScript archive through the compiled-model cache: a valid entry loads
// like the .dimodel it holds (no libtorch); a miss loads the archive and, when
// the native engine runs it, stores its .dimodel for the next load.
NetworkParts load_torchscript_cached(const std::string &bytes, const NetworkOptions &options, CacheReport &report) {
    // The libtorch engines are asked for by name: a cached .dimodel cannot give them.
    if (options.engine != DI_ENGINE_AUTO && options.engine != DI_ENGINE_NATIVE) {
        report.note = "the libtorch engines are not cached";
        return load_torchscript(bytes, options);
    }
    const ModelCache cache(options.cache_dir);
    if (!cache.enabled()) {
        report.note = cache.off_reason();
        return load_torchscript(bytes, options);
    }
    const Sha256Digest key = sha256(bytes);
    std::string rejected;
    if (const auto dimodel = cache.find(key, bytes.size(), rejected)) {
        try {
            NetworkParts parts = load_dimodel(*dimodel, options);  // applies options.output, as for any .dimodel
            report = {DI_CACHE_HIT, cache.entry_path(key), ""};
            return parts;
        } catch (const std::exception &e) {  // corrupt: a miss, and the entry is replaced below
            rejected = std::string("does not load: ") + e.what();
        }
    }
    // The entry holds the model's own output kind, so that a later load with
    // another output_kind gets what a fresh load would: override it only after.
    NetworkOptions own = options;
    own.output = DI_OUTPUT_AUTO;
    NetworkParts parts = load_torchscript(bytes, own);
    std::string why;
    if (!parts.native) {
        report = {DI_CACHE_NOT_STORED, "", "the model runs on libtorch"};
    } else if (cache.store(key, write_native_model({parts.metadata, *parts.plan}), why)) {
        report = {DI_CACHE_STORED, cache.entry_path(key), rejected.empty() ? "" : "replaced an entry that " + rejected};
    } else {
        report = {DI_CACHE_NOT_STORED, "", why};
    }
    if (options.output != DI_OUTPUT_AUTO) parts.metadata.output = options.output;
    return parts;
}

}  // namespace

Network::Network(NetworkParts parts, int threads, CacheReport cache)
    : parts_(std::move(parts)), threads_(threads), cache_(std::move(cache)) {}
Network::~Network() = default;

std::unique_ptr<Network> Network::load(const std::string &bytes, const NetworkOptions &options) {
    NetworkParts parts;
    CacheReport cache;
    switch (model_file_kind(bytes)) {
        case ModelFileKind::Dimodel:
            parts = load_dimodel(bytes, options);
            cache.note = "a .dimodel is compiled already";
            break;
        case ModelFileKind::TorchScript: parts = load_torchscript_cached(bytes, options, cache); break;
        case ModelFileKind::Unknown:
            if (looks_like_onnx(bytes)) {
                parts = load_onnx(bytes, options);
                cache.note = "an ONNX model is not cached";
                break;
            }
            fail(DI_ERR_MODEL, "not a model file: neither a .dimodel nor a TorchScript archive (zip) nor an ONNX model");
    }
    const int threads = options.threads > 0 ? options.threads : int(std::max(1u, std::thread::hardware_concurrency()));
    return std::unique_ptr<Network>(new Network(std::move(parts), threads, std::move(cache)));
}

std::optional<std::string> Network::native_model_file() const {
    if (!parts_.native) return std::nullopt;
    return write_native_model({parts_.metadata, *parts_.plan});
}

std::string non_finite_scores(const float *scores, std::size_t n, std::size_t classes, std::size_t first_image) {
    const float *end = scores + n * classes;
    const float *bad = std::find_if(scores, end, [](float v) { return !std::isfinite(v); });
    if (bad == end) return "";
    return std::string("the model produced ") + (std::isnan(*bad) ? "NaN" : "an infinite score") + " for image " +
           std::to_string(first_image + std::size_t(bad - scores) / classes);
}

void Network::forward(const float *input, std::size_t n, float *output, int threads) const {
    if (parts_.native) {
        parts_.native->forward(input, n, output, threads);
    } else {
        std::vector<float> &out = thread_scratch().torch_output;
        std::string error;
        int classes = 0;
        if (const di_status s = parts_.torch->run(input, n, parts_.shape, out, classes, error); s != DI_OK)
            fail(s, error);
        if (classes != parts_.num_classes)
            fail(DI_ERR_INFERENCE, "model returned " + std::to_string(classes) + " classes after " +
                                       std::to_string(parts_.num_classes) + " at load time");
        std::memcpy(output, out.data(), out.size() * sizeof(float));
    }
    // Scores that are not finite are the caller's to refuse, image by image (Pipeline::forward).
}

}  // namespace digitinfer::core
