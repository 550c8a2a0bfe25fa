// The 1.0 predict entry points (one bad image fails the call) and preprocessing.
#include <algorithm>
#include <string>
#include <vector>

#include "predict_run.hpp"

using namespace digitinfer::core;

extern "C" {

di_outputs di_outputs_default(void) { return di_outputs{nullptr, nullptr, nullptr, 0}; }

di_status di_model_predict_encoded(const di_model *model, const void *data, size_t size, const di_outputs *out) {
    const di_encoded_image image{data, size};
    return run_predict(model, 1, out, [&](const Pipeline &p, ItemOutcome *) { return p.predict(&image, 1, 0); });
}

di_status di_model_predict_encoded_batch(const di_model *model, const di_encoded_image *images, size_t count,
                                         const di_outputs *out) {
    return run_predict(model, count, out, [&](const Pipeline &p, ItemOutcome *) {
        require(images, "images");
        return p.predict(images, count, 0);
    });
}

di_status di_model_predict_gray(const di_model *model, const di_gray_image *image, const di_outputs *out) {
    return run_predict(model, 1, out, [&](const Pipeline &p, ItemOutcome *) {
        require(image, "image");
        return p.predict(image, 1, 0);
    });
}

di_status di_model_predict_gray_batch(const di_model *model, const di_gray_image *images, size_t count,
                                      const di_outputs *out) {
    return run_predict(model, count, out, [&](const Pipeline &p, ItemOutcome *) {
        require(images, "images");
        return p.predict(images, count, 0);
    });
}

di_status di_model_predict_tensor(const di_model *model, const float *data, size_t num_floats, size_t count,
                                  const di_outputs *out) {
    return run_predict(model, count, out, [&](const Pipeline &p, ItemOutcome *) {
        require(data, "data");
        check_tensor_floats(p, num_floats, count);
        return p.predict(data, count, 0);
    });
}

di_status di_model_preprocess_encoded(const di_model *model, const void *data, size_t size, uint8_t *image,
                                      size_t image_capacity, float *tensor, size_t tensor_capacity) {
    return guarded([&] {
        require_model(model);
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
