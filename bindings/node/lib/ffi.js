'use strict';
// koffi mirror of include/digitinfer/digitinfer.h and version.h: every struct in the header's field
// order (koffi lays them out as the C compiler does; test/layout.test.js checks it) and every
// function. Caller-owned arrays are declared `void *` so that an ArrayBuffer, a typed array or a
// BigInt address can be passed. Nothing else here: the JS API lives in model.js.

const { isMainThread, workerData } = require('node:worker_threads');
const koffi = require('koffi');
const library = require('./library');

// A worker of pool.js reopens the file the main thread found.
const { lib, file } = library.open(isMainThread ? undefined : workerData?.digitinferLibrary);

// Enums are int-sized; struct fields holding enum values are int32_t in the header.
const di_model = koffi.opaque('di_model');

const types = {
  di_load_options: koffi.struct('di_load_options', {
    struct_size: 'uint32_t',
    num_threads: 'int32_t',
    output_kind: 'int32_t',
    engine: 'int32_t',
    // Since 1.1:
    max_pixels: 'uint64_t',
    max_encoded_bytes: 'uint64_t',
    // Since 1.2 (NULL: the default compiled-model cache directory):
    cache_dir: 'const char *',
    // Since 1.3:
    flags: 'uint32_t',
    max_jpeg_scans: 'uint32_t',
    torch_time_limit_ms: 'uint32_t',
    torch_memory_limit_bytes: 'uint64_t',
  }),
  di_model_info: koffi.struct('di_model_info', {
    struct_size: 'uint32_t',
    input_channels: 'int32_t',
    input_height: 'int32_t',
    input_width: 'int32_t',
    num_classes: 'int32_t',
    mean: 'float',
    std: 'float',
    output_kind: 'int32_t',
    has_metadata: 'int32_t',
    name: 'const char *',
    engine: 'int32_t',
    engine_note: 'const char *',
    // Since 1.1:
    num_threads: 'int32_t',
    max_pixels: 'uint64_t',
    max_encoded_bytes: 'uint64_t',
    // Since 1.2:
    cache: 'int32_t',
    cache_path: 'const char *',
    cache_note: 'const char *',
  }),
  di_encoded_image: koffi.struct('di_encoded_image', {
    data: 'const void *',
    size: 'size_t',
  }),
  di_gray_image: koffi.struct('di_gray_image', {
    pixels: 'const uint8_t *',
    width: 'int32_t',
    height: 'int32_t',
    stride: 'size_t',
  }),
  di_prediction: koffi.struct('di_prediction', {
    class_index: 'int32_t',
    probability: 'float',
  }),
  di_outputs: koffi.struct('di_outputs', {
    predictions: 'void *',
    probabilities: 'void *',
    log_probabilities: 'void *',
    scores_capacity: 'size_t',
  }),
  di_predict_options: koffi.struct('di_predict_options', {
    struct_size: 'uint32_t',
    num_threads: 'int32_t',
  }),
  di_results: koffi.struct('di_results', {
    struct_size: 'uint32_t',
    predictions: 'void *',
    probabilities: 'void *',
    log_probabilities: 'void *',
    scores_capacity: 'size_t',
    statuses: 'void *',
    messages: 'void *',
  }),
};

const SIGNATURES = [
  // version.h
  'const char *di_version(void)',
  'uint32_t di_version_number(void)',
  'uint32_t di_abi_version(void)',
  // Status and errors
  'const char *di_status_string(int status)',
  'const char *di_last_error_message(void)',
  // Names
  'const char *di_engine_name(int engine)',
  'int di_engine_from_name(const char *name, _Out_ int *out)',
  'const char *di_output_kind_name(int kind)',
  'int di_output_kind_from_name(const char *name, _Out_ int *out)',
  // Model
  'di_load_options di_load_options_default(void)',
  'int di_model_load_file(const char *path, const di_load_options *opts, _Out_ di_model **out)',
  'int di_model_load_memory(const void *data, size_t size, const di_load_options *opts, _Out_ di_model **out)',
  'int di_model_export_native(const di_model *model, const char *path)',
  'void di_model_free(di_model *model)',
  'di_model_info di_model_info_default(void)',
  'int di_model_get_info(const di_model *model, _Inout_ di_model_info *out)',
  'int di_model_get_label(const di_model *model, int32_t index, _Out_ const char **out)',
  // Inputs and outputs
  'di_outputs di_outputs_default(void)',
  'int di_model_predict_encoded(const di_model *model, const void *data, size_t size, const void *out)',
  'int di_model_predict_encoded_batch(const di_model *model, const void *images, size_t count, const void *out)',
  'int di_model_predict_gray(const di_model *model, const void *image, const void *out)',
  'int di_model_predict_gray_batch(const di_model *model, const void *images, size_t count, const void *out)',
  'int di_model_predict_tensor(const di_model *model, const void *data, size_t num_floats, size_t count, const void *out)',
  // Per-call options and per-image statuses
  'di_predict_options di_predict_options_default(void)',
  'di_results di_results_default(void)',
  'int di_model_predict_encoded_ex(const di_model *model, const void *images, size_t count, const void *opts, const void *results)',
  'int di_model_predict_gray_ex(const di_model *model, const void *images, size_t count, const void *opts, const void *results)',
  'int di_model_predict_tensor_ex(const di_model *model, const void *data, size_t num_floats, size_t count, const void *opts, const void *results)',
  // Preprocessing only
  'int di_model_preprocess_encoded(const di_model *model, const void *data, size_t size, void *image, size_t image_capacity, void *tensor, size_t tensor_capacity)',
];

const functions = {};
for (const signature of SIGNATURES) {
  const name = /\b(di_\w+)\s*\(/.exec(signature)[1];
  try {
    functions[name] = lib.func(signature);
  } catch (e) {
    throw new Error(`${file} (DigitInfer ${functions.di_version()}) lacks ${name}: ${e.message}`);
  }
}

module.exports = { koffi, file, types, functions, SIGNATURES };
