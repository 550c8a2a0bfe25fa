/* See shim.h: every wrapper captures the calling thread's error message. */
#include "shim.h"

#include <stdlib.h>
#include <string.h>

const unsigned char go_di_empty[1] = {0};

static di_status capture(di_status status, char **msg) {
    *msg = status == DI_OK ? NULL : strdup(di_last_error_message());
    return status;
}

static di_outputs outputs(di_prediction *predictions, float *probabilities, float *log_probabilities,
                          size_t capacity) {
    di_outputs out = di_outputs_default();
    out.predictions = predictions;
    out.probabilities = probabilities;
    out.log_probabilities = log_probabilities;
    out.scores_capacity = capacity;
    return out;
}

di_status go_di_load_file(const char *path, const di_load_options *opts, di_model **out, char **msg) {
    return capture(di_model_load_file(path, opts, out), msg);
}

di_status go_di_load_memory(const void *data, size_t size, const di_load_options *opts, di_model **out,
                            char **msg) {
    return capture(di_model_load_memory(data, size, opts, out), msg);
}

di_status go_di_get_info(const di_model *model, di_model_info *out, char **msg) {
    return capture(di_model_get_info(model, out), msg);
}

di_status go_di_get_label(const di_model *model, int32_t index, const char **out, char **msg) {
    return capture(di_model_get_label(model, index, out), msg);
}

di_status go_di_engine_from_name(const char *name, di_engine *out, char **msg) {
    return capture(di_engine_from_name(name, out), msg);
}

di_status go_di_output_kind_from_name(const char *name, di_output_kind *out, char **msg) {
    return capture(di_output_kind_from_name(name, out), msg);
}

di_status go_di_predict_encoded(const di_model *model, const void *data, size_t size,
                                di_prediction *predictions, float *probabilities, float *log_probabilities,
                                size_t capacity, char **msg) {
    di_outputs out = outputs(predictions, probabilities, log_probabilities, capacity);
    return capture(di_model_predict_encoded(model, data, size, &out), msg);
}

di_status go_di_predict_encoded_batch(const di_model *model, const di_encoded_image *images, size_t count,
                                      di_prediction *predictions, float *probabilities,
                                      float *log_probabilities, size_t capacity, char **msg) {
    di_outputs out = outputs(predictions, probabilities, log_probabilities, capacity);
    return capture(di_model_predict_encoded_batch(model, images, count, &out), msg);
}

di_status go_di_predict_gray(const di_model *model, const uint8_t *pixels, int32_t width, int32_t height,
                             size_t stride, di_prediction *predictions, float *probabilities,
                             float *log_probabilities, size_t capacity, char **msg) {
    di_gray_image image = {pixels, width, height, stride};
    di_outputs out = outputs(predictions, probabilities, log_probabilities, capacity);
    return capture(di_model_predict_gray(model, &image, &out), msg);
}

di_status go_di_predict_gray_batch(const di_model *model, const di_gray_image *images, size_t count,
                                   di_prediction *predictions, float *probabilities, float *log_probabilities,
                                   size_t capacity, char **msg) {
    di_outputs out = outputs(predictions, probabilities, log_probabilities, capacity);
    return capture(di_model_predict_gray_batch(model, images, count, &out), msg);
}

di_status go_di_predict_tensor(const di_model *model, const float *data, size_t num_floats, size_t count,
                               di_prediction *predictions, float *probabilities, float *log_probabilities,
                               size_t capacity, char **msg) {
    di_outputs out = outputs(predictions, probabilities, log_probabilities, capacity);
    return capture(di_model_predict_tensor(model, data, num_floats, count, &out), msg);
}

di_status go_di_preprocess_encoded(const di_model *model, const void *data, size_t size, uint8_t *image,
                                   size_t image_capacity, float *tensor, size_t tensor_capacity, char **msg) {
    return capture(di_model_preprocess_encoded(model, data, size, image, image_capacity, tensor,
                                               tensor_capacity),
                   msg);
}
