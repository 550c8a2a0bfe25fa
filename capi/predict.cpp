// Prediction and preprocessing entry points: argument checks, then the pipeline.
#include <cmath>
#include <string>

#include "guard.hpp"
#include "model_handle.hpp"
#include "../src/postprocess.hpp"

using namespace digitinfer;

namespace {

constexpr std::size_t kMaxBatch = 1 << 16;

void check_batch(std::size_t count) {
    if (count == 0) fail(DI_ERR_INVALID_ARGUMENT, "count is 0");
    if (count > kMaxBatch)
        fail(DI_ERR_INVALID_ARGUMENT, "count " + std::to_string(count) + " exceeds the batch limit " +
                                          std::to_string(kMaxBatch));
}

void check_outputs(const di_outputs *out, std::size_t floats) {
    require(out, "out");
    if ((out->probabilities || out->log_probabilities) && out->scores_capacity < floats)
        fail(DI_ERR_BUFFER_TOO_SMALL, "scores_capacity " + std::to_string(out->scores_capacity) + " < " +
                                          std::to_string(floats) + " floats needed (count x num_classes)");
}

// Runs `predict` (returning count x classes log-probabilities) and fills `out`.
template <class Predict>
di_status predict_into(const di_model *model, std::size_t count, const di_outputs *out, Predict predict) {
    return guarded([&] {
        require(model, "model");
        check_batch(count);
        const std::size_t classes = std::size_t(model->pipeline->num_classes());
        check_outputs(out, count * classes);
        const float *logs = predict(*model->pipeline);
        for (std::size_t i = 0; i < count; ++i) {
            const float *row = &logs[i * classes];
            const int best = argmax(row, classes);
            if (out->predictions) out->predictions[i] = {best, std::exp(row[best])};
            for (std::size_t k = 0; k < classes; ++k) {
                if (out->probabilities) out->probabilities[i * classes + k] = std::exp(row[k]);
                if (out->log_probabilities) out->log_probabilities[i * classes + k] = row[k];
            }
        }
    });
}

}  // namespace

extern "C" {

di_outputs di_outputs_default(void) { return di_outputs{nullptr, nullptr, nullptr, 0}; }

di_status di_model_predict_encoded(const di_model *model, const void *data, size_t size, const di_outputs *out) {
    const di_encoded_image image{data, size};
    return predict_into(model, 1, out, [&](const Pipeline &p) { return p.predict(&image, 1); });
}

di_status di_model_predict_encoded_batch(const di_model *model, const di_encoded_image *images, size_t count,
                                         const di_outputs *out) {
    return predict_into(model, count, out, [&](const Pipeline &p) {
        require(images, "images");
        return p.predict(images, count);
    });
}

di_status di_model_predict_gray(const di_model *model, const di_gray_image *image, const di_outputs *out) {
    return predict_into(model, 1, out, [&](const Pipeline &p) {
        require(image, "image");
        return p.predict(image, 1);
    });
}

di_status di_model_predict_gray_batch(const di_model *model, const di_gray_image *images, size_t count,
                                      const di_outputs *out) {
    return predict_into(model, count, out, [&](const Pipeline &p) {
        require(images, "images");
        return p.predict(images, count);
    });
}

di_status di_model_predict_tensor(const di_model *model, const float *data, size_t num_floats, size_t count,
                                  const di_outputs *out) {
    return predict_into(model, count, out, [&](const Pipeline &p) {
        require(data, "data");
        if (num_floats != count * p.tensor_size())
            fail(DI_ERR_INVALID_ARGUMENT, "num_floats " + std::to_string(num_floats) + " != count x C x H x W = " +
                                              std::to_string(count * p.tensor_size()));
        for (std::size_t i = 0; i < num_floats; ++i)
            if (!std::isfinite(data[i]))
                fail(DI_ERR_INVALID_ARGUMENT, "tensor value " + std::to_string(i) + " is not finite");
        return p.predict(data, count);
    });
}

di_status di_model_preprocess_encoded(const di_model *model, const void *data, size_t size, uint8_t *image,
                                      size_t image_capacity, float *tensor, size_t tensor_capacity) {
    return guarded([&] {
        require(model, "model");
        require(data, "data");
        const Pipeline &p = *model->pipeline;
        if (image && image_capacity < p.image_size())
            fail(DI_ERR_BUFFER_TOO_SMALL, "image_capacity " + std::to_string(image_capacity) + " < " +
                                              std::to_string(p.image_size()) + " bytes (H x W)");
        if (tensor && tensor_capacity < p.tensor_size())
            fail(DI_ERR_BUFFER_TOO_SMALL, "tensor_capacity " + std::to_string(tensor_capacity) + " < " +
                                              std::to_string(p.tensor_size()) + " floats (C x H x W)");
        std::vector<uint8_t> pixels(p.image_size());
        p.preprocess(di_encoded_image{data, size}, pixels.data());
        if (image) std::copy(pixels.begin(), pixels.end(), image);
        if (tensor) p.normalize(pixels.data(), tensor);
    });
}

}  // extern "C"
