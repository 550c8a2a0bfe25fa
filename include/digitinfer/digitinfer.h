/**
 * \file
 * DigitInfer C API — handwritten-digit inference, from image bytes to digit.
 *
 * Conventions
 * -----------
 * - Every fallible call returns a di_status: DI_OK (0) on success, a negative
 *   code on failure. The code decides success; di_last_error_message() gives
 *   the detail. New codes may be added: treat any unknown nonzero value as an
 *   error.
 * - Results come back through the last (out) parameters. On failure, pointer
 *   outputs (`T **out`) are set to NULL.
 * - Pointer arguments may not be NULL unless the documentation says "may be
 *   NULL"; the library checks anyway and returns DI_ERR_INVALID_ARGUMENT.
 * - The library copies every input it is given: the caller may free input
 *   buffers as soon as a call returns.
 * - `*_free(NULL)` is a no-op.
 * - Versioned option structs start with `struct_size`; initialise them with
 *   their *_default() function so that older callers keep working when fields
 *   are added at the end.
 * - No C++ exception ever crosses this API.
 *
 * Usage
 * -----
 *
 *     di_model *model = NULL;
 *     di_load_options opts = di_load_options_default();
 *     if (di_model_load_file("convnet.dimodel", &opts, &model) != DI_OK) {
 *         fprintf(stderr, "%s\n", di_last_error_message());
 *         return 1;
 *     }
 *     di_prediction p;
 *     di_outputs out = di_outputs_default();
 *     out.predictions = &p;
 *     if (di_model_predict_encoded(model, png_bytes, png_size, &out) == DI_OK)
 *         printf("digit %d (p = %.3f)\n", p.class_index, p.probability);
 *     di_model_free(model);
 *
 * A TorchScript file (convnet.scripted.pt) loads the same way when the
 * libtorch plugin is installed; a .dimodel needs no libtorch at all, and
 * neither does a TorchScript file found in the compiled-model cache (see
 * di_cache_use) or an ONNX file (.onnx, on the native engine only).
 *
 * Threads
 * -------
 * A call uses at most di_load_options.num_threads threads (0: all cores), or
 * di_predict_options.num_threads for that call, and only as many as its work
 * pays for: one image of a small model, or a few small images, stay on the
 * calling thread. The extra threads are the library's own workers, shared by
 * every call and borrowed only when idle, so many threads calling at once
 * never start more threads than the workers there are; a call never waits for
 * a worker the scheduler has not run (the caller does that share itself).
 *
 * fork()
 * ------
 * A process may fork() after using the library (a server preloading its
 * model, Python multiprocessing with the "fork" start method): the child's
 * models keep working, but every call in the child runs on the calling
 * thread alone, whatever num_threads says, and models loaded in the child
 * load with one thread. (Thread pools, the library's and libtorch's, do not
 * survive fork(); the library registers a pthread_atfork handler when it is
 * loaded to switch the child to one thread.) fork() while
 * another thread of the parent is inside a DigitInfer call is undefined, as
 * for most libraries. The parent is unaffected.
 */
#ifndef DIGITINFER_DIGITINFER_H
#define DIGITINFER_DIGITINFER_H

#include <stddef.h>
#include <stdint.h>

#include "digitinfer/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Status and errors                                                         */
/* ------------------------------------------------------------------------ */

/** Result of every fallible call. Values are stable; new ones may be added. */
typedef enum di_status {
    DI_OK = 0,                      /**< success */
    DI_ERR_INVALID_ARGUMENT = -1,   /**< NULL pointer, zero or absurd size, bad option */
    DI_ERR_IO = -2,                 /**< a file could not be opened or read */
    DI_ERR_DECODE = -3,             /**< image bytes are corrupt, truncated or of an unknown format */
    DI_ERR_MODEL = -4,              /**< not a model file (.dimodel, TorchScript or ONNX), wrong shapes, unsupported operators, or no plugin for it */
    DI_ERR_OUT_OF_MEMORY = -5,      /**< an allocation failed */
    DI_ERR_BUFFER_TOO_SMALL = -6,   /**< a caller-provided output buffer is too small */
    DI_ERR_INFERENCE = -7,          /**< the forward pass failed */
    DI_ERR_INTERNAL = -100          /**< a bug: please report it */
} di_status;

/** Short constant name of a status ("DI_ERR_DECODE"); never NULL. */
DI_API const char *di_status_string(di_status status);

/**
 * Message describing the last failure on the calling thread; "" after a
 * successful call. Never NULL. Owned by the library, valid until the next
 * DigitInfer call on the same thread.
 */
DI_API const char *di_last_error_message(void);

/* Version: di_version(), di_version_number(), di_abi_version() and the
   DI_VERSION_* macros are in digitinfer/version.h, included above. */

/* ------------------------------------------------------------------------ */
/* Model                                                                     */
/* ------------------------------------------------------------------------ */

/**
 * A loaded classifier together with its preprocessing parameters.
 *
 * Thread-safety: a di_model is immutable after loading. Any number of
 * threads may call the predict and preprocess functions on one model at the
 * same time; di_model_free must not race with other calls on that model.
 */
typedef struct di_model di_model;

/** What the model's forward returns, one row per image. */
typedef enum di_output_kind {
    DI_OUTPUT_AUTO = 0,              /**< from metadata, else detected at load time */
    DI_OUTPUT_LOG_PROBABILITIES = 1, /**< log_softmax output (the default) */
    DI_OUTPUT_LOGITS = 2,            /**< raw scores: the library applies softmax */
    DI_OUTPUT_PROBABILITIES = 3,     /**< softmax output */
    DI_OUTPUT_MAX_ENUM = 0x7FFFFFFF  /**< not a kind: makes every int32 value a di_output_kind, so that C++
                                          code casting an int to it stays defined (unknown ones are refused) */
} di_output_kind;

/** Which implementation runs the forward pass. */
typedef enum di_engine {
    DI_ENGINE_AUTO = 0,              /**< native when it supports the graph and agrees with libtorch, else libtorch */
    DI_ENGINE_NATIVE = 1,            /**< DigitInfer's own SIMD kernels; loading fails if the graph is unsupported */
    DI_ENGINE_LIBTORCH = 2,          /**< libtorch on the frozen, optimize_for_inference'd module */
    DI_ENGINE_LIBTORCH_REFERENCE = 3, /**< libtorch on the module exactly as loaded (eval mode) */
    DI_ENGINE_MAX_ENUM = 0x7FFFFFFF   /**< not an engine: makes every int32 value a di_engine (as above) */
} di_engine;

/** Name of an engine: "auto", "native", "libtorch" or "reference"; "unknown" for other values. Never NULL. */
DI_API const char *di_engine_name(di_engine engine);

/** The di_engine called `name` (as di_engine_name spells it); DI_ERR_INVALID_ARGUMENT for other names. */
DI_API di_status di_engine_from_name(const char *name, di_engine *out);

/** Name of an output kind: "auto", "log_probabilities", "logits" or "probabilities"; "unknown" otherwise. */
DI_API const char *di_output_kind_name(di_output_kind kind);

/** The di_output_kind called `name` (as di_output_kind_name spells it, or "log_softmax" / "softmax"). */
DI_API di_status di_output_kind_from_name(const char *name, di_output_kind *out);

/** Pillow's decompression-bomb limit (2 x Image.MAX_IMAGE_PIXELS): the default and largest max_pixels. */
#define DI_DEFAULT_MAX_PIXELS 178956970u
/** Default and largest max_encoded_bytes: 1 GiB. */
#define DI_DEFAULT_MAX_ENCODED_BYTES 1073741824u

/**
 * \file
 * Compiled-model cache: when a TorchScript file runs on the native engine, its
 * .dimodel is kept in a per-user directory, named by the SHA-256 of the file's
 * bytes, so that the next load of the same bytes (in any process) reads it
 * instead of loading libtorch. Only loads with engine DI_ENGINE_AUTO or
 * DI_ENGINE_NATIVE use it; output_kind applies on top of the cached model as on
 * a fresh load. An entry is used only after its checksum, its library version
 * and its key are checked; anything else is ignored and replaced. The cache
 * never fails a load: an unusable directory only means nothing is cached (see
 * di_model_info.cache_note). The directory is di_load_options.cache_dir, else
 * $DIGITINFER_CACHE_DIR ("" or "off" turn caching off), else
 * $XDG_CACHE_HOME/digitinfer, else $HOME/.cache/digitinfer; it is created with
 * mode 0700 and used only when owned by the user and writable by no one else.
 * Details: docs/models.md.
 */

/** What the compiled-model cache did for one load (di_model_info.cache). Values may be added. */
typedef enum di_cache_use {
    DI_CACHE_NOT_USED = 0,   /**< not consulted: a .dimodel or .onnx, a libtorch engine asked for, or caching off */
    DI_CACHE_HIT = 1,        /**< the compiled model came from the cache: libtorch was not loaded */
    DI_CACHE_STORED = 2,     /**< compiled from TorchScript, then written to the cache for the next load */
    DI_CACHE_NOT_STORED = 3, /**< compiled, but nothing cached: the model runs on libtorch, or the directory
                                  cannot be written */
    DI_CACHE_MAX_ENUM = 0x7FFFFFFF /**< not a value: makes every int32 value a di_cache_use (as above) */
} di_cache_use;

/** Options for di_model_load_file / di_model_load_memory. */
typedef struct di_load_options {
    uint32_t struct_size;        /**< sizeof(di_load_options); set by di_load_options_default() */
    int32_t num_threads;         /**< threads for one batched call; 0 = all cores. libtorch's count is
                                      process-wide: a nonzero value also sets it */
    int32_t output_kind;         /**< a di_output_kind; DI_OUTPUT_AUTO = metadata, else detected */
    int32_t engine;              /**< a di_engine; default DI_ENGINE_AUTO */
    /* Since 1.1: */
    uint64_t max_pixels;         /**< largest image (width x height, decoded or gray) a predict call accepts;
                                      in [1, DI_DEFAULT_MAX_PIXELS], default DI_DEFAULT_MAX_PIXELS. Larger
                                      images fail with DI_ERR_DECODE (encoded) or DI_ERR_INVALID_ARGUMENT (gray) */
    uint64_t max_encoded_bytes;  /**< largest encoded image file accepted (DI_ERR_DECODE beyond); in
                                      [1, DI_DEFAULT_MAX_ENCODED_BYTES], default DI_DEFAULT_MAX_ENCODED_BYTES */
    /* Since 1.2: */
    const char *cache_dir;       /**< compiled-model cache directory; NULL (default): $DIGITINFER_CACHE_DIR,
                                      else $XDG_CACHE_HOME/digitinfer, else $HOME/.cache/digitinfer;
                                      "" = no cache. Read during the call only */
    /* Since 1.3: */
    uint32_t flags;              /**< DI_LOAD_* bits; default 0 */
    uint32_t max_jpeg_scans;     /**< most scans a progressive JPEG may have (DI_ERR_DECODE beyond); in
                                      [1, DI_MAX_JPEG_SCANS], default DI_DEFAULT_MAX_JPEG_SCANS */
    uint32_t torch_time_limit_ms;     /**< wall time one libtorch forward may take (the load-time check and
                                           every predict on the libtorch engines): DI_ERR_MODEL at load,
                                           DI_ERR_INFERENCE at predict beyond it; 0 = no limit; default
                                           DI_DEFAULT_TORCH_TIME_LIMIT_MS */
    uint64_t torch_memory_limit_bytes; /**< bytes one libtorch forward may allocate at once (DI_ERR_MODEL at
                                           load, DI_ERR_OUT_OF_MEMORY at predict beyond it); 0 = no limit;
                                           default DI_DEFAULT_TORCH_MEMORY_LIMIT_BYTES */
} di_load_options;

/**
 * di_load_options.flags: the model file is trusted code. A TorchScript file is
 * a program: without this flag, only graphs made of pure tensor operators (an
 * allow-list, checked after inlining and before anything runs) are loaded,
 * and files defining __setstate__ (run while unpickling) are refused; with it,
 * any operator libtorch has may run, file access and printing included. Set it
 * only for files you would run as a program. The time and memory limits hold
 * either way. See docs/robustness.md (threat model).
 */
#define DI_LOAD_TRUSTED_MODEL 1u

/** Default most scans of a progressive JPEG (libjpeg's own scripts write 6 to 10). */
#define DI_DEFAULT_MAX_JPEG_SCANS 100u
/** Largest max_jpeg_scans. */
#define DI_MAX_JPEG_SCANS 65535u
/** Default time limit of one libtorch forward: 30 s. */
#define DI_DEFAULT_TORCH_TIME_LIMIT_MS 30000u
/** Default memory limit of one libtorch forward: 2 GiB. */
#define DI_DEFAULT_TORCH_MEMORY_LIMIT_BYTES 2147483648u

/** Default load options. */
DI_API di_load_options di_load_options_default(void);

/**
 * Loads a model from a file: TorchScript (traced or scripted; libtorch is
 * loaded on first use, unless the compiled-model cache has the file) or a
 * .dimodel made by di_model_export_native. `path` must name a regular file of
 * at most 1 GiB: a directory, FIFO, socket or device (/dev/zero) is refused
 * with DI_ERR_IO without being read or waited for, and so is a larger file.
 * A model whose metadata or weights are not finite (or whose mean and std are
 * absurd), or that would need more than the native engine's budgets (memory
 * per thread, weights, operations per image), is refused with DI_ERR_MODEL.
 * `opts` may be NULL (defaults). On success *out owns a model: free it with
 * di_model_free. The model is checked with one forward of a dummy
 * [1,C,H,W] input; it must return [1,num_classes].
 */
DI_API di_status di_model_load_file(const char *path, const di_load_options *opts, di_model **out);

/** Same as di_model_load_file, from a memory buffer (copied; free it after the call). */
DI_API di_status di_model_load_memory(const void *data, size_t size, const di_load_options *opts,
                                      di_model **out);

/**
 * Writes the model as a .dimodel file: its metadata and weights compiled for
 * the native engine. A .dimodel loads with di_model_load_file/_memory in
 * milliseconds and without loading libtorch, and predicts exactly as the
 * model it came from does on the native engine. DI_ERR_MODEL when the model
 * does not run on the native engine (see di_model_info.engine_note).
 */
DI_API di_status di_model_export_native(const di_model *model, const char *path);

/**
 * Frees a model. NULL is a no-op. Freeing clears a mark in the model that
 * every call taking a model checks: a call on a freed model returns
 * DI_ERR_INVALID_ARGUMENT ("not a live di_model") and a second free is a
 * no-op, as long as the freed memory has not been reused. That catches most
 * such mistakes but is no guarantee: a call on a pointer that never was a
 * model, on a freed model whose memory now holds something else (another
 * model, above all), or racing with di_model_free, is undefined behaviour.
 */
DI_API void di_model_free(di_model *model);

/** Description of a loaded model. */
typedef struct di_model_info {
    uint32_t struct_size;        /**< sizeof(di_model_info); set by di_model_info_default() */
    int32_t input_channels;      /**< C of the [N,C,H,W] input; 1 for grayscale */
    int32_t input_height;        /**< H, pixels */
    int32_t input_width;         /**< W, pixels */
    int32_t num_classes;         /**< length of each output row */
    float mean;                  /**< normalization mean (after /255) */
    float std;                   /**< normalization standard deviation */
    int32_t output_kind;         /**< a di_output_kind, resolved: never DI_OUTPUT_AUTO */
    int32_t has_metadata;        /**< 1 if the file carried digitinfer.json, else 0 (the defaults apply) */
    const char *name;            /**< model name, borrowed: valid while the model lives */
    int32_t engine;              /**< the di_engine running the forward pass, never DI_ENGINE_AUTO */
    const char *engine_note;     /**< why DI_ENGINE_AUTO fell back to libtorch, or ""; borrowed like name */
    /* Since 1.1: */
    int32_t num_threads;         /**< threads a batched call uses when the call does not say (resolved: >= 1) */
    uint64_t max_pixels;         /**< the model's image size limit (di_load_options.max_pixels) */
    uint64_t max_encoded_bytes;  /**< the model's encoded size limit (di_load_options.max_encoded_bytes) */
    /* Since 1.2: */
    int32_t cache;               /**< a di_cache_use: what the compiled-model cache did for this load */
    const char *cache_path;      /**< the cache entry read (DI_CACHE_HIT) or written (DI_CACHE_STORED), else "";
                                      borrowed like name */
    const char *cache_note;      /**< why the cache was not used or not written, or what it replaced, or "";
                                      borrowed like name */
} di_model_info;

/** An info struct with struct_size set, ready for di_model_get_info. */
DI_API di_model_info di_model_info_default(void);

/** Fills *out (whose struct_size the caller has set) with the model's description. */
DI_API di_status di_model_get_info(const di_model *model, di_model_info *out);

/**
 * Label of class `index` (e.g. "7"). *out is borrowed: valid while the model
 * lives. Index outside [0, num_classes) gives DI_ERR_INVALID_ARGUMENT.
 */
DI_API di_status di_model_get_label(const di_model *model, int32_t index, const char **out);

/* ------------------------------------------------------------------------ */
/* Inputs and outputs                                                        */
/* ------------------------------------------------------------------------ */

/** An encoded image file in memory (PNG, JPEG, BMP, GIF, PGM/PPM, TGA). */
typedef struct di_encoded_image {
    const void *data;   /**< file bytes */
    size_t size;        /**< number of bytes */
} di_encoded_image;

/** A raw 8-bit grayscale image, row-major, 0 = black. */
typedef struct di_gray_image {
    const uint8_t *pixels;  /**< first pixel of the first row */
    int32_t width;          /**< pixels per row, > 0 */
    int32_t height;         /**< rows, > 0 */
    size_t stride;          /**< bytes from one row to the next, >= width */
} di_gray_image;

/** The result for one image. */
typedef struct di_prediction {
    int32_t class_index;  /**< most probable class (its label: di_model_get_label) */
    float probability;    /**< its probability, in [0, 1] */
} di_prediction;

/**
 * Where a predict call writes its results; the caller owns every array.
 * For a call on `count` images:
 */
typedef struct di_outputs {
    di_prediction *predictions;  /**< `count` entries; may be NULL */
    float *probabilities;        /**< count x num_classes, row-major; may be NULL */
    float *log_probabilities;    /**< count x num_classes, row-major; may be NULL */
    size_t scores_capacity;      /**< floats available in each non-NULL score array */
} di_outputs;

/** Outputs with every pointer NULL and zero capacity. */
DI_API di_outputs di_outputs_default(void);

/** Largest `count` of one predict call. */
#define DI_MAX_BATCH 65536u

/** Predicts one encoded image file. `data` NULL is DI_ERR_INVALID_ARGUMENT, even with `size` 0. */
DI_API di_status di_model_predict_encoded(const di_model *model, const void *data, size_t size,
                                          const di_outputs *out);

/** Predicts `count` encoded images in one batched forward. */
DI_API di_status di_model_predict_encoded_batch(const di_model *model, const di_encoded_image *images,
                                                size_t count, const di_outputs *out);

/**
 * Predicts one raw grayscale image (any size: it is resized like an encoded one). The image
 * spans stride * (height - 1) + width bytes from `pixels`: a stride for which that overflows, or
 * ends past the address space, is DI_ERR_INVALID_ARGUMENT (here and in every call taking
 * di_gray_image).
 */
DI_API di_status di_model_predict_gray(const di_model *model, const di_gray_image *image,
                                       const di_outputs *out);

/** Predicts `count` raw grayscale images in one batched forward. */
DI_API di_status di_model_predict_gray_batch(const di_model *model, const di_gray_image *images,
                                             size_t count, const di_outputs *out);

/**
 * Predicts from already-normalized float32 tensors: `count` images of C x H x W floats each, back to back, C
 * order. `num_floats` must equal count * C * H * W.
 */
DI_API di_status di_model_predict_tensor(const di_model *model, const float *data, size_t num_floats,
                                         size_t count, const di_outputs *out);

/* ------------------------------------------------------------------------ */
/* Predict with per-call options and per-image statuses (since 1.1)          */
/* ------------------------------------------------------------------------ */

/** Options of one *_ex predict call. */
typedef struct di_predict_options {
    uint32_t struct_size;  /**< sizeof(di_predict_options); set by di_predict_options_default() */
    int32_t num_threads;   /**< threads for this call (preprocessing and the native engine); 0 = the
                                model's num_threads. libtorch forwards use its process-wide count */
} di_predict_options;

/** Default predict options: the model's own settings. */
DI_API di_predict_options di_predict_options_default(void);

/**
 * Where an *_ex call writes its results; the caller owns every array, each
 * may be NULL. For a call on `count` images:
 */
typedef struct di_results {
    uint32_t struct_size;         /**< sizeof(di_results); set by di_results_default() */
    di_prediction *predictions;   /**< `count` entries */
    float *probabilities;         /**< count x num_classes, row-major */
    float *log_probabilities;     /**< count x num_classes, row-major */
    size_t scores_capacity;       /**< floats available in each non-NULL score array */
    di_status *statuses;          /**< `count` entries. When set, one bad image does not fail the call:
                                       statuses[i] is image i's status, a failed image's prediction is
                                       {-1, 0} and its score rows NaN, and the call returns DI_OK unless
                                       its arguments are wrong or the forward pass fails. When NULL, the first bad image fails the
                                       whole call, as in the functions above */
    const char **messages;        /**< `count` entries, used only with `statuses`: "" or why image i
                                       failed. Borrowed: valid until the thread's next DigitInfer call */
} di_results;

/** Results with struct_size set and every pointer NULL. */
DI_API di_results di_results_default(void);

/** Predicts `count` encoded images. `opts` may be NULL (the model's settings). */
DI_API di_status di_model_predict_encoded_ex(const di_model *model, const di_encoded_image *images, size_t count,
                                             const di_predict_options *opts, const di_results *results);

/** Predicts `count` raw grayscale images. `opts` may be NULL. */
DI_API di_status di_model_predict_gray_ex(const di_model *model, const di_gray_image *images, size_t count,
                                          const di_predict_options *opts, const di_results *results);

/**
 * Predicts `count` normalized C x H x W float32 tensors, back to back
 * (`num_floats` = count * C * H * W). With `statuses`, a tensor holding a
 * non-finite value fails alone. `opts` may be NULL.
 */
DI_API di_status di_model_predict_tensor_ex(const di_model *model, const float *data, size_t num_floats,
                                            size_t count, const di_predict_options *opts,
                                            const di_results *results);

/**
 * \file
 * Memory: each calling thread keeps the batch buffers of its last call for the
 * next one, up to 16 MiB (so steady-state calls on tensors allocate nothing;
 * decoding and resizing still allocate per image); a larger batch's buffers
 * are released when the call returns, so a thread never pins more than that.
 */

/* ------------------------------------------------------------------------ */
/* Preprocessing only                                                        */
/* ------------------------------------------------------------------------ */

/**
 * Runs only the preprocessing of an encoded image: decode, grayscale, resize
 * to the model's H x W. Writes the H x W uint8 image to `image` (may be NULL;
 * `image_capacity` bytes available) and/or the normalized C x H x W float
 * tensor the model would see to `tensor` (may be NULL; `tensor_capacity`
 * floats available).
 */
DI_API di_status di_model_preprocess_encoded(const di_model *model, const void *data, size_t size,
                                             uint8_t *image, size_t image_capacity, float *tensor,
                                             size_t tensor_capacity);

#ifdef __cplusplus
}
#endif

#endif /* DIGITINFER_DIGITINFER_H */
