/* C side of the Go binding.
 *
 * di_last_error_message() is per OS thread, and a goroutine may move to another
 * thread between two cgo calls. So each wrapper makes the library call and, on
 * failure, copies the message within the same C call: *msg gets a malloc'ed
 * copy that the Go side frees (NULL on success). The predict wrappers take the
 * output arrays as separate pointers and build di_outputs here, because a
 * Go-allocated struct holding Go pointers may not be passed to C. */
#ifndef DIGITINFER_GO_SHIM_H
#define DIGITINFER_GO_SHIM_H

#include <stddef.h>
#include <stdint.h>

#include <digitinfer/digitinfer.h>

/* A valid address for an empty Go slice: the library sees zero bytes, not a NULL pointer. */
extern const unsigned char go_di_empty[1];

di_status go_di_load_file(const char *path, const di_load_options *opts, di_model **out, char **msg);
di_status go_di_load_memory(const void *data, size_t size, const di_load_options *opts, di_model **out,
                            char **msg);
di_status go_di_get_info(const di_model *model, di_model_info *out, char **msg);
di_status go_di_get_label(const di_model *model, int32_t index, const char **out, char **msg);
di_status go_di_engine_from_name(const char *name, di_engine *out, char **msg);
di_status go_di_output_kind_from_name(const char *name, di_output_kind *out, char **msg);

/* Each predict wrapper writes `count` predictions and count x num_classes scores
   (either score array may be NULL; `capacity` floats in each). */
di_status go_di_predict_encoded(const di_model *model, const void *data, size_t size,
                                di_prediction *predictions, float *probabilities, float *log_probabilities,
                                size_t capacity, char **msg);
di_status go_di_predict_encoded_batch(const di_model *model, const di_encoded_image *images, size_t count,
                                      di_prediction *predictions, float *probabilities,
                                      float *log_probabilities, size_t capacity, char **msg);
di_status go_di_predict_gray(const di_model *model, const uint8_t *pixels, int32_t width, int32_t height,
                             size_t stride, di_prediction *predictions, float *probabilities,
                             float *log_probabilities, size_t capacity, char **msg);
di_status go_di_predict_gray_batch(const di_model *model, const di_gray_image *images, size_t count,
                                   di_prediction *predictions, float *probabilities, float *log_probabilities,
                                   size_t capacity, char **msg);
di_status go_di_predict_tensor(const di_model *model, const float *data, size_t num_floats, size_t count,
                               di_prediction *predictions, float *probabilities, float *log_probabilities,
                               size_t capacity, char **msg);
di_status go_di_preprocess_encoded(const di_model *model, const void *data, size_t size, uint8_t *image,
                                   size_t image_capacity, float *tensor, size_t tensor_capacity, char **msg);

#endif
