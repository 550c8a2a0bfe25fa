// Loading, describing and freeing models.
#include "guard.hpp"
#include "model_handle.hpp"
#include "versioned_struct.hpp"
#include "core/read_file.hpp"
#include "engine/fork_safety.hpp"

#include <fstream>

using namespace digitinfer::core;

namespace {

// di_model_load_file reads at most this (digitinfer.h): the reference model is 1.2 MB.
constexpr std::size_t kMaxModelFileBytes = std::size_t(1) << 30;

di_model *load(const std::string &bytes, const di_load_options *opts) {
    const di_load_options o = read_versioned(opts, di_load_options_default(), "di_load_options");
    if (o.num_threads < 0 || o.num_threads > 1024)
        fail(DI_ERR_INVALID_ARGUMENT, "num_threads " + std::to_string(o.num_threads) + " is out of range");
    if (o.output_kind < DI_OUTPUT_AUTO || o.output_kind > DI_OUTPUT_PROBABILITIES)
        fail(DI_ERR_INVALID_ARGUMENT, "unknown output_kind " + std::to_string(o.output_kind));
    if (o.engine < DI_ENGINE_AUTO || o.engine > DI_ENGINE_LIBTORCH_REFERENCE)
        fail(DI_ERR_INVALID_ARGUMENT, "unknown engine " + std::to_string(o.engine));
    if (o.max_pixels < 1 || o.max_pixels > DI_DEFAULT_MAX_PIXELS)
        fail(DI_ERR_INVALID_ARGUMENT, "max_pixels " + std::to_string(o.max_pixels) + " is outside [1, " +
                                          std::to_string(DI_DEFAULT_MAX_PIXELS) + "]");
    if (o.max_encoded_bytes < 1 || o.max_encoded_bytes > DI_DEFAULT_MAX_ENCODED_BYTES)
        fail(DI_ERR_INVALID_ARGUMENT, "max_encoded_bytes " + std::to_string(o.max_encoded_bytes) +
                                          " is outside [1, " + std::to_string(DI_DEFAULT_MAX_ENCODED_BYTES) + "]");
    if (o.flags & ~uint32_t(DI_LOAD_TRUSTED_MODEL))
        fail(DI_ERR_INVALID_ARGUMENT, "unknown load flags " + std::to_string(o.flags & ~uint32_t(DI_LOAD_TRUSTED_MODEL)));
    if (o.max_jpeg_scans < 1 || o.max_jpeg_scans > DI_MAX_JPEG_SCANS)
        fail(DI_ERR_INVALID_ARGUMENT, "max_jpeg_scans " + std::to_string(o.max_jpeg_scans) + " is outside [1, " +
                                          std::to_string(DI_MAX_JPEG_SCANS) + "]");
    NetworkOptions options;
    options.trusted = (o.flags & DI_LOAD_TRUSTED_MODEL) != 0;
    options.torch_time_limit_ms = o.torch_time_limit_ms;
    options.torch_memory_limit_bytes = o.torch_memory_limit_bytes;
    options.output = static_cast<di_output_kind>(o.output_kind);
    options.engine = static_cast<di_engine>(o.engine);
    // A forked child runs single-threaded (engine/fork_safety.hpp); a TorchScript load sets libtorch's count.
    options.threads = digitinfer::engine::usable_threads(o.num_threads);
    if (o.cache_dir) options.cache_dir = std::string(o.cache_dir);
    const DecodeLimits limits{std::size_t(o.max_pixels), std::size_t(o.max_encoded_bytes), o.max_jpeg_scans};
    auto model = std::make_unique<di_model>();
    model->pipeline = std::make_unique<Pipeline>(Network::load(bytes, options), limits);
    return model.release();
}

}  // namespace

extern "C" {

di_load_options di_load_options_default(void) {
    di_load_options o;
    o.struct_size = sizeof(di_load_options);
    o.num_threads = 0;
    o.output_kind = DI_OUTPUT_AUTO;
    o.engine = DI_ENGINE_AUTO;
    o.max_pixels = DI_DEFAULT_MAX_PIXELS;
    o.max_encoded_bytes = DI_DEFAULT_MAX_ENCODED_BYTES;
    o.cache_dir = nullptr;
    o.flags = 0;
    o.max_jpeg_scans = DI_DEFAULT_MAX_JPEG_SCANS;
    o.torch_time_limit_ms = DI_DEFAULT_TORCH_TIME_LIMIT_MS;
    o.torch_memory_limit_bytes = DI_DEFAULT_TORCH_MEMORY_LIMIT_BYTES;
    return o;
}

di_status di_model_load_file(const char *path, const di_load_options *opts, di_model **out) {
    if (out) *out = nullptr;
    return guarded([&] {
        require(path, "path");
        require(out, "out");
        *out = load(read_file(path, kMaxModelFileBytes), opts);
    });
}

di_status di_model_load_memory(const void *data, size_t size, const di_load_options *opts, di_model **out) {
    if (out) *out = nullptr;
    return guarded([&] {
        require(data, "data");
        require(out, "out");
        if (size == 0) fail(DI_ERR_INVALID_ARGUMENT, "model buffer is empty");
        *out = load(std::string(static_cast<const char *>(data), size), opts);
    });
}

void di_model_free(di_model *model) {
    if (model && model->live == di_model::kLive) delete model;  // a second free is a no-op (mostly: digitinfer.h)
}

di_model_info di_model_info_default(void) {
    di_model_info i{};
    i.struct_size = sizeof(di_model_info);
    return i;
}

di_status di_model_get_info(const di_model *model, di_model_info *out) {
    return guarded([&] {
        require_model(model);
        require(out, "out");
        const Metadata &m = model->pipeline->metadata();
        di_model_info info = di_model_info_default();
        info.input_channels = m.channels;
        info.input_height = m.height;
        info.input_width = m.width;
        info.num_classes = model->pipeline->num_classes();
        info.mean = m.mean;
        info.std = m.std;
        info.output_kind = m.output;
        info.has_metadata = m.present ? 1 : 0;
        info.name = m.name.c_str();
        info.engine = model->pipeline->network().engine();
        info.engine_note = model->pipeline->network().engine_note().c_str();
        info.num_threads = model->pipeline->network().threads();
        info.max_pixels = model->pipeline->limits().max_pixels;
        info.max_encoded_bytes = model->pipeline->limits().max_encoded_bytes;
        const CacheReport &cache = model->pipeline->network().cache_report();
        info.cache = cache.use;
        info.cache_path = cache.path.c_str();
        info.cache_note = cache.note.c_str();
        write_versioned(out, info, "di_model_info");
    });
}

di_status di_model_export_native(const di_model *model, const char *path) {
    return guarded([&] {
        require_model(model);
        require(path, "path");
        const auto file = model->pipeline->network().native_model_file();
        if (!file)
            fail(DI_ERR_MODEL, "the model does not run on the native engine: " +
                                   model->pipeline->network().engine_note());
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        if (!out || !out.write(file->data(), std::streamsize(file->size())) || !out.flush())
            fail(DI_ERR_IO, std::string("cannot write '") + path + "'");
    });
}

di_status di_model_get_label(const di_model *model, int32_t index, const char **out) {
    if (out) *out = nullptr;
    return guarded([&] {
        require_model(model);
        require(out, "out");
        const auto &labels = model->pipeline->metadata().labels;
        if (index < 0 || std::size_t(index) >= labels.size())
            fail(DI_ERR_INVALID_ARGUMENT, "label index " + std::to_string(index) + " is outside [0, " +
                                              std::to_string(labels.size()) + ")");
        *out = labels[std::size_t(index)].c_str();
    });
}

}  // extern "C"
