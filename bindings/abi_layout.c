/* Prints what the C compiler makes of the structs, enums and constants of digitinfer.h, one per
 * line, for every binding's layout test to compare with its own mirror (python/tests/test_layout.py,
 * rust/digitinfer-sys/tests/layout.rs, node/test/library.test.js):
 *
 *     struct <name> <sizeof> <alignof>
 *     field <struct> <field> <offsetof> <sizeof>
 *     enum <type> <sizeof>
 *     value <constant> <value>
 *     string <constant> <value>
 *
 * A header field missing here still fails the test: the struct's size, or the header's field
 * list (which the Rust and Python tests read from the header itself), disagrees.
 */
#include <stddef.h>
#include <stdio.h>

#include <digitinfer/digitinfer.h>

#define STRUCT(T) printf("struct %s %zu %zu\n", #T, sizeof(T), (size_t)_Alignof(T))
#define FIELD(T, f) printf("field %s %s %zu %zu\n", #T, #f, offsetof(T, f), sizeof(((T *)0)->f))
#define ENUM(T) printf("enum %s %zu\n", #T, sizeof(T))
#define VALUE(c) printf("value %s %lld\n", #c, (long long)(c))
#define STRING(c) printf("string %s %s\n", #c, c)

int main(void) {
    STRUCT(di_load_options);
    FIELD(di_load_options, struct_size);
    FIELD(di_load_options, num_threads);
    FIELD(di_load_options, output_kind);
    FIELD(di_load_options, engine);
    FIELD(di_load_options, max_pixels);
    FIELD(di_load_options, max_encoded_bytes);
    FIELD(di_load_options, cache_dir);
    FIELD(di_load_options, flags);
    FIELD(di_load_options, max_jpeg_scans);
    FIELD(di_load_options, torch_time_limit_ms);
    FIELD(di_load_options, torch_memory_limit_bytes);

    STRUCT(di_model_info);
    FIELD(di_model_info, struct_size);
    FIELD(di_model_info, input_channels);
    FIELD(di_model_info, input_height);
    FIELD(di_model_info, input_width);
    FIELD(di_model_info, num_classes);
    FIELD(di_model_info, mean);
    FIELD(di_model_info, std);
    FIELD(di_model_info, output_kind);
    FIELD(di_model_info, has_metadata);
    FIELD(di_model_info, name);
    FIELD(di_model_info, engine);
    FIELD(di_model_info, engine_note);
    FIELD(di_model_info, num_threads);
    FIELD(di_model_info, max_pixels);
    FIELD(di_model_info, max_encoded_bytes);
    FIELD(di_model_info, cache);
    FIELD(di_model_info, cache_path);
    FIELD(di_model_info, cache_note);

    STRUCT(di_encoded_image);
    FIELD(di_encoded_image, data);
    FIELD(di_encoded_image, size);

    STRUCT(di_gray_image);
    FIELD(di_gray_image, pixels);
    FIELD(di_gray_image, width);
    FIELD(di_gray_image, height);
    FIELD(di_gray_image, stride);

    STRUCT(di_prediction);
    FIELD(di_prediction, class_index);
    FIELD(di_prediction, probability);

    STRUCT(di_outputs);
    FIELD(di_outputs, predictions);
    FIELD(di_outputs, probabilities);
    FIELD(di_outputs, log_probabilities);
    FIELD(di_outputs, scores_capacity);

    STRUCT(di_predict_options);
    FIELD(di_predict_options, struct_size);
    FIELD(di_predict_options, num_threads);

    STRUCT(di_results);
    FIELD(di_results, struct_size);
    FIELD(di_results, predictions);
    FIELD(di_results, probabilities);
    FIELD(di_results, log_probabilities);
    FIELD(di_results, scores_capacity);
    FIELD(di_results, statuses);
    FIELD(di_results, messages);

    /* Mirrored as c_int: di_results.statuses is an array of di_status. */
    ENUM(di_status);
    ENUM(di_engine);
    ENUM(di_output_kind);
    ENUM(di_cache_use);

    VALUE(DI_OK);
    VALUE(DI_ERR_INVALID_ARGUMENT);
    VALUE(DI_ERR_IO);
    VALUE(DI_ERR_DECODE);
    VALUE(DI_ERR_MODEL);
    VALUE(DI_ERR_OUT_OF_MEMORY);
    VALUE(DI_ERR_BUFFER_TOO_SMALL);
    VALUE(DI_ERR_INFERENCE);
    VALUE(DI_ERR_INTERNAL);

    VALUE(DI_OUTPUT_AUTO);
    VALUE(DI_OUTPUT_LOG_PROBABILITIES);
    VALUE(DI_OUTPUT_LOGITS);
    VALUE(DI_OUTPUT_PROBABILITIES);
    VALUE(DI_OUTPUT_MAX_ENUM);

    VALUE(DI_ENGINE_AUTO);
    VALUE(DI_ENGINE_NATIVE);
    VALUE(DI_ENGINE_LIBTORCH);
    VALUE(DI_ENGINE_LIBTORCH_REFERENCE);
    VALUE(DI_ENGINE_MAX_ENUM);

    VALUE(DI_CACHE_NOT_USED);
    VALUE(DI_CACHE_HIT);
    VALUE(DI_CACHE_STORED);
    VALUE(DI_CACHE_NOT_STORED);
    VALUE(DI_CACHE_MAX_ENUM);

    VALUE(DI_DEFAULT_MAX_PIXELS);
    VALUE(DI_DEFAULT_MAX_ENCODED_BYTES);
    VALUE(DI_LOAD_TRUSTED_MODEL);
    VALUE(DI_DEFAULT_MAX_JPEG_SCANS);
    VALUE(DI_MAX_JPEG_SCANS);
    VALUE(DI_DEFAULT_TORCH_TIME_LIMIT_MS);
    VALUE(DI_DEFAULT_TORCH_MEMORY_LIMIT_BYTES);
    VALUE(DI_MAX_BATCH);

    VALUE(DI_VERSION_MAJOR);
    VALUE(DI_VERSION_MINOR);
    VALUE(DI_VERSION_PATCH);
    VALUE(DI_VERSION_NUMBER);
    VALUE(DI_ABI_VERSION);
    STRING(DI_VERSION_STRING);
    return 0;
}
