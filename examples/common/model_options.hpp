// The model option group (--model, --threads, --engine, --output-kind,
// --max-pixels, --max-encoded-bytes, --max-jpeg-scans, --cache-dir, --no-cache, --trust-model,
// --torch-time-limit-ms, --torch-memory-limit-bytes) and loading the model they describe:
// every program that runs a model takes the same options, spelled the same way.
#ifndef DIGITINFER_EXAMPLES_MODEL_OPTIONS_HPP
#define DIGITINFER_EXAMPLES_MODEL_OPTIONS_HPP

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>
#include <digitinfer/digitinfer.hpp>

namespace common {

/// What the user chose; names are the C API's (di_engine_name, di_output_kind_name).
struct ModelOptions {
    std::string path;                     ///< empty: default_model_path()
    int threads = 0;                      ///< threads of a batched call; 0 = all cores
    std::string engine = "auto";          ///< an engine name
    std::string output_kind = "auto";     ///< an output kind name
    uint64_t max_pixels = DI_DEFAULT_MAX_PIXELS;
    uint64_t max_encoded_bytes = DI_DEFAULT_MAX_ENCODED_BYTES;
    std::string cache_dir;                ///< compiled-model cache; empty: the library's default
    bool no_cache = false;                ///< no compiled-model cache at all
    bool trust_model = false;             ///< DI_LOAD_TRUSTED_MODEL: the model file is trusted code
    uint32_t max_jpeg_scans = DI_DEFAULT_MAX_JPEG_SCANS;
    uint32_t torch_time_limit_ms = DI_DEFAULT_TORCH_TIME_LIMIT_MS;
    uint64_t torch_memory_limit_bytes = DI_DEFAULT_TORCH_MEMORY_LIMIT_BYTES;

    /// The load options; throws digitinfer::Error for an unknown engine or output kind name.
    digitinfer::LoadOptions load_options() const;
    /// The options of one predict call: the same thread count, so that it holds per call too.
    digitinfer::PredictOptions predict_options() const;
};

/// Adds the option group to `sub`; --model only when `with_model` (a command may take the model
/// as a positional argument instead). Unknown names fail while parsing, as usage errors.
void add_model_options(CLI::App &sub, ModelOptions &options, bool with_model = true);

/// Help text of a model path option, shared by commands that spell the option their own way.
extern const char *const kModelHelp;

/// A loaded model and the file it came from.
struct LoadedModel {
    std::string path;
    digitinfer::Model model;
};

/// Loads options.path, or the default model when it is empty. Throws digitinfer::Error or
/// std::runtime_error (no default model).
LoadedModel load_model(const ModelOptions &options);

}  // namespace common

#endif  // DIGITINFER_EXAMPLES_MODEL_OPTIONS_HPP
