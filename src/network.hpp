// Stage 5: the TorchScript forward pass. The only header whose implementation
// includes libtorch (pimpl): nothing torch leaks out of network.cpp.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "metadata.hpp"

namespace digitinfer {

class Network {
public:
    // Loads a TorchScript archive (traced or scripted) held in memory, reads its
    // metadata, puts it in eval mode and checks with dummy forwards that it maps
    // [N,C,H,W] to [N,num_classes]. `forced` overrides the output kind when not AUTO.
    // Throws Failure(DI_ERR_MODEL) with the reason otherwise.
    static std::unique_ptr<Network> load(const std::string &bytes, di_output_kind forced);
    ~Network();

    const Metadata &metadata() const;  // output kind resolved (never AUTO), labels filled
    int num_classes() const;

    // `input` holds n normalized C*H*W images; writes n*num_classes raw outputs
    // of the model (their meaning: metadata().output). Safe to call concurrently.
    void forward(const float *input, std::size_t n, float *output) const;

private:
    struct Impl;
    explicit Network(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Sets libtorch's intra-op thread count; process-wide, as libtorch's is.
void set_intra_op_threads(int threads);

}  // namespace digitinfer
