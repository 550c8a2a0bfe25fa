// The whole pipeline, stage by stage: decode -> grayscale -> resize ->
// normalize -> forward -> log-probabilities. One Pipeline per loaded model;
// every const member is safe to call from many threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/network.hpp"
#include "core/normalize.hpp"
#include "digitinfer/digitinfer.h"
#include "image/image.hpp"

namespace digitinfer::core {

// How one image of a batch fared, when the caller wants each image's outcome
// rather than the batch failing on the first bad one.
struct ItemOutcome {
    di_status status = DI_OK;
    std::string message;
};

class Pipeline {
public:
    Pipeline(std::unique_ptr<Network> network, const DecodeLimits &limits);

    const Network &network() const { return *network_; }
    const Metadata &metadata() const { return network_->metadata(); }
    const DecodeLimits &limits() const { return limits_; }
    int num_classes() const { return network_->num_classes(); }
    std::size_t image_size() const;   // H * W bytes
    std::size_t tensor_size() const;  // C * H * W floats

    // Stages 1-3 into `image` (H*W bytes).
    void preprocess(const di_encoded_image &encoded, uint8_t *image) const;
    void preprocess(const di_gray_image &gray, uint8_t *image) const;
    // Stage 4: H*W bytes -> C*H*W floats (the gray plane repeated per channel).
    void normalize(const uint8_t *image, float *tensor) const;

    // Whole pipeline for a batch: count * num_classes log-probabilities, in a
    // buffer of the calling thread's, valid until its next predict call or
    // trim_thread_scratch(). `threads`: 0 for the model's count. Without
    // `outcomes` the first bad image (lowest index) fails the call; with it
    // (count entries), each bad image gets its outcome and a row to ignore.
    const float *predict(const di_encoded_image *images, std::size_t count, int threads,
                         ItemOutcome *outcomes = nullptr) const;
    const float *predict(const di_gray_image *images, std::size_t count, int threads,
                         ItemOutcome *outcomes = nullptr) const;
    const float *predict(const float *tensors, std::size_t count, int threads, ItemOutcome *outcomes = nullptr) const;

private:
    template <class Input>
    const float *predict_images(const Input *images, std::size_t count, int threads, ItemOutcome *outcomes) const;
    const float *forward(const float *batch, std::size_t count, int threads, ItemOutcome *outcomes) const;

    std::unique_ptr<Network> network_;
    Normalizer normalizer_;
    DecodeLimits limits_;
};

}  // namespace digitinfer::core
