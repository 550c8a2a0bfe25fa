// The whole pipeline, stage by stage: decode -> grayscale -> resize ->
// normalize -> forward -> log-probabilities. One Pipeline per loaded model;
// every const member is safe to call from many threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "digitinfer/digitinfer.h"
#include "network.hpp"
#include "normalize.hpp"

namespace digitinfer {

class Pipeline {
public:
    explicit Pipeline(std::unique_ptr<Network> network);

    const Metadata &metadata() const { return network_->metadata(); }
    int num_classes() const { return network_->num_classes(); }
    di_engine engine() const { return network_->engine(); }
    const std::string &engine_note() const { return network_->engine_note(); }
    std::optional<std::string> native_model_file() const { return network_->native_model_file(); }
    std::size_t image_size() const;   // H * W bytes
    std::size_t tensor_size() const;  // C * H * W floats

    // Stages 1-3 into `image` (H*W bytes).
    void preprocess(const di_encoded_image &encoded, uint8_t *image) const;
    void preprocess(const di_gray_image &gray, uint8_t *image) const;
    // Stage 4: H*W bytes -> C*H*W floats (the gray plane repeated per channel).
    void normalize(const uint8_t *image, float *tensor) const;

    // Whole pipeline for a batch: count * num_classes log-probabilities, in a
    // buffer of the calling thread's, valid until its next predict call.
    const float *predict(const di_encoded_image *images, std::size_t count) const;
    const float *predict(const di_gray_image *images, std::size_t count) const;
    const float *predict(const float *tensors, std::size_t count) const;

private:
    template <class Input>
    const float *predict_images(const Input *images, std::size_t count) const;

    std::unique_ptr<Network> network_;
    Normalizer normalizer_;
};

}  // namespace digitinfer
