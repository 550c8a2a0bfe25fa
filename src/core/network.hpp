// Stage 5: the forward pass, by DigitInfer's native engine when it can run the
// graph, else by libtorch (through the plugin, see torch/plugin_abi.hpp). The
// engine is chosen here, at load, and nowhere else. No torch header.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "core/model_cache.hpp"
#include "digitinfer/digitinfer.h"
#include "engine/engine.hpp"
#include "format/metadata.hpp"
#include "torch/plugin_abi.hpp"

namespace digitinfer::core {

struct NetworkOptions {
    di_output_kind output = DI_OUTPUT_AUTO;  // overrides the metadata when not AUTO
    di_engine engine = DI_ENGINE_AUTO;
    int threads = 0;                         // 0: the machine's cores
    std::optional<std::string> cache_dir;    // the compiled-model cache; nullopt: from the environment, "": none
    bool trusted = false;                    // DI_LOAD_TRUSTED_MODEL: no TorchScript operator allow-list
    uint32_t torch_time_limit_ms = DI_DEFAULT_TORCH_TIME_LIMIT_MS;           // per libtorch forward; 0: none
    uint64_t torch_memory_limit_bytes = DI_DEFAULT_TORCH_MEMORY_LIMIT_BYTES; // per libtorch forward; 0: none
};

// What a loaded network is made of; built by network.cpp (.dimodel) and
// torchscript_route.cpp (TorchScript).
struct NetworkParts {
    Metadata metadata;                        // output kind resolved, labels filled
    int num_classes = 0;
    di_engine engine = DI_ENGINE_NATIVE;
    std::string engine_note;                  // why AUTO did not pick the native engine, or ""
    std::optional<engine::Plan> plan;         // set with `native`: for native_model_file()
    std::unique_ptr<engine::Engine> native;   // set when engine == NATIVE
    std::unique_ptr<TorchModule> torch;       // set otherwise
    TorchShape shape;
};

// The native engine for `plan`; throws std::invalid_argument when it does not fit the metadata.
std::unique_ptr<engine::Engine> build_engine(const engine::Plan &plan, const Metadata &m, int classes);

// "" when the n x classes scores are all finite, else which image is not ("the model produced NaN for image 3"),
// counting the first row as image first_image.
std::string non_finite_scores(const float *scores, std::size_t n, std::size_t classes, std::size_t first_image = 0);

// Loads a TorchScript archive through the plugin and picks its engine.
NetworkParts load_torchscript(const std::string &bytes, const NetworkOptions &options);

class Network {
public:
    // Loads a .dimodel (native engine, no libtorch) or a TorchScript archive
    // (traced or scripted; through the libtorch plugin), checks that it maps
    // [N,C,H,W] to [N,num_classes], and prepares the engine `options` asks for.
    // A TorchScript archive goes through the compiled-model cache (model_cache.hpp).
    // Throws Failure(DI_ERR_MODEL) with the reason otherwise.
    static std::unique_ptr<Network> load(const std::string &bytes, const NetworkOptions &options);
    ~Network();

    const Metadata &metadata() const { return parts_.metadata; }
    int num_classes() const { return parts_.num_classes; }
    di_engine engine() const { return parts_.engine; }                   // never AUTO
    const std::string &engine_note() const { return parts_.engine_note; }
    int threads() const { return threads_; }                             // default for one batched call
    const CacheReport &cache_report() const { return cache_; }
    // The model as a .dimodel, when it runs on the native engine.
    std::optional<std::string> native_model_file() const;

    // `input` holds n normalized C*H*W images; writes n*num_classes raw outputs
    // of the model (their meaning: metadata().output), with up to `threads`
    // threads (the native engine; libtorch has its own count). Safe to call concurrently.
    void forward(const float *input, std::size_t n, float *output, int threads) const;

private:
    Network(NetworkParts parts, int threads, CacheReport cache);
    NetworkParts parts_;
    int threads_;
    CacheReport cache_;
};

}  // namespace digitinfer::core
