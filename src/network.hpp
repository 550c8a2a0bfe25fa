// Stage 5: the forward pass, by DigitInfer's native engine when it can run the
// graph, else by libtorch (through the plugin, see torch_backend.hpp). This
// file and network.cpp include no torch header.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "native_format.hpp"
#include "torch_backend.hpp"

namespace digitinfer {

namespace engine {
class Engine;
}

class Network {
public:
    // Loads a .dimodel (native engine, no libtorch) or a TorchScript archive
    // (traced or scripted; through the libtorch plugin), checks that it maps
    // [N,C,H,W] to [N,num_classes], and prepares the engine `options` asks for.
    // Throws Failure(DI_ERR_MODEL) with the reason otherwise.
    static std::unique_ptr<Network> load(const std::string &bytes, const NetworkOptions &options);
    ~Network();

    const Metadata &metadata() const;        // output kind resolved (never AUTO), labels filled
    int num_classes() const;
    di_engine engine() const;                // the engine that runs forward(), never AUTO
    const std::string &engine_note() const;  // why AUTO did not pick the native engine, or ""
    int threads() const;                     // for one batched call
    // The model as a .dimodel, when it runs on the native engine.
    std::optional<std::string> native_model_file() const;

    // `input` holds n normalized C*H*W images; writes n*num_classes raw outputs
    // of the model (their meaning: metadata().output). Safe to call concurrently.
    void forward(const float *input, std::size_t n, float *output) const;

    struct Impl;  // defined in network.cpp only

private:
    explicit Network(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace digitinfer
