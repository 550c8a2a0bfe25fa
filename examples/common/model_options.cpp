#include "model_options.hpp"

#include <utility>

#include "model_locator.hpp"
#include "names.hpp"

namespace common {
namespace {

// A CLI11 check that accepts exactly what the C API's from_name function accepts
// (aliases included), so the option and the library cannot disagree.
template <class Enum>
CLI::Validator name_check(const char *what, di_status (*from_name)(const char *, Enum *),
                          std::vector<std::string> names) {
    const std::string list = join_names(names);
    std::string braced;  // "{auto,native,...}", as CLI11 shows its own sets
    for (const auto &n : names) braced += (braced.empty() ? "{" : ",") + n;
    return CLI::Validator(
        [what, from_name, list](std::string &value) -> std::string {
            Enum parsed{};
            if (from_name(value.c_str(), &parsed) == DI_OK) return {};
            return "unknown " + std::string(what) + " '" + value + "' (expected " + list + ")";
        },
        braced + "}");
}

}  // namespace

const char *const kModelHelp =
    "Model file: a .dimodel, or TorchScript (.pt) through the libtorch plugin "
    "(default: $DIGITINFER_MODEL, else the installed convnet.dimodel)";

digitinfer::LoadOptions ModelOptions::load_options() const {
    digitinfer::LoadOptions load;
    load.num_threads = threads;
    load.engine = digitinfer::engine_from_name(engine);
    load.output_kind = digitinfer::output_kind_from_name(output_kind);
    load.max_pixels = max_pixels;
    load.max_encoded_bytes = max_encoded_bytes;
    load.trusted_model = trust_model;
    load.max_jpeg_scans = max_jpeg_scans;
    load.torch_time_limit_ms = torch_time_limit_ms;
    load.torch_memory_limit_bytes = torch_memory_limit_bytes;
    if (no_cache)
        load.cache_dir = "";
    else if (!cache_dir.empty())
        load.cache_dir = cache_dir;
    return load;
}

digitinfer::PredictOptions ModelOptions::predict_options() const {
    digitinfer::PredictOptions predict;
    predict.num_threads = threads;
    return predict;
}

void add_model_options(CLI::App &sub, ModelOptions &options, bool with_model) {
    if (with_model) sub.add_option("-m,--model", options.path, kModelHelp);
    sub.add_option("-t,--threads", options.threads,
                   "Threads for a batched call: preprocessing and the native engine (0 = all cores); "
                   "a nonzero count also sets libtorch's, which is process-wide")
        ->check(CLI::Range(0, 1024));
    sub.add_option("--engine", options.engine,
                   "Forward pass: auto (native kernels when the graph is supported, else libtorch), native, "
                   "libtorch (frozen + optimize_for_inference) or reference (libtorch, module as loaded)")
        ->capture_default_str()
        ->check(name_check<di_engine>("engine", di_engine_from_name, engine_names()));
    sub.add_option("--output-kind", options.output_kind,
                   "What the model returns (auto: its metadata, else detected at load)")
        ->capture_default_str()
        ->check(name_check<di_output_kind>("output kind", di_output_kind_from_name, output_kind_names()));
    sub.add_option("--max-pixels", options.max_pixels,
                   "Refuse images larger than N pixels (width x height) with DI_ERR_DECODE")
        ->capture_default_str()
        ->check(CLI::Range(uint64_t(1), uint64_t(DI_DEFAULT_MAX_PIXELS)));
    sub.add_option("--max-encoded-bytes", options.max_encoded_bytes,
                   "Refuse image files larger than N bytes with DI_ERR_DECODE")
        ->capture_default_str()
        ->check(CLI::Range(uint64_t(1), uint64_t(DI_DEFAULT_MAX_ENCODED_BYTES)));
    auto *cache_dir = sub.add_option("--cache-dir", options.cache_dir,
                                     "Compiled-model cache for TorchScript models (default: $DIGITINFER_CACHE_DIR, "
                                     "else $XDG_CACHE_HOME/digitinfer, else ~/.cache/digitinfer)")
                          ->type_name("DIR");
    sub.add_flag("--no-cache", options.no_cache,
                 "Do not read or write the compiled-model cache (the same as DIGITINFER_CACHE_DIR=off)")
        ->excludes(cache_dir);
    sub.add_option("--max-jpeg-scans", options.max_jpeg_scans,
                   "Refuse progressive JPEGs with more than N scans with DI_ERR_DECODE")
        ->capture_default_str()
        ->check(CLI::Range(1u, unsigned(DI_MAX_JPEG_SCANS)));
    sub.add_flag("--trust-model", options.trust_model,
                 "The model file is trusted code: let a TorchScript model run any operator, file access "
                 "included (default: only pure tensor operators; see docs/robustness.md)");
    sub.add_option("--torch-time-limit-ms", options.torch_time_limit_ms,
                   "Most milliseconds one libtorch forward may take (0 = no limit)")
        ->capture_default_str();
    sub.add_option("--torch-memory-limit-bytes", options.torch_memory_limit_bytes,
                   "Most bytes one libtorch forward may allocate (0 = no limit)")
        ->capture_default_str();
}

LoadedModel load_model(const ModelOptions &options) {
    const digitinfer::LoadOptions load = options.load_options();
    std::string path = options.path.empty() ? default_model_path() : options.path;
    digitinfer::Model model(path, load);
    return {std::move(path), std::move(model)};
}

}  // namespace common
