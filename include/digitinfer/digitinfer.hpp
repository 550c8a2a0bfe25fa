/// \file
/// DigitInfer C++ API: a header-only, RAII, exception-based wrapper over the C API.
///
///     digitinfer::Model model("convnet.dimodel");   // or a TorchScript .pt, with the libtorch plugin
///     digitinfer::Prediction p = model.predict_file("digit.png");
///     std::cout << p.digit << " " << p.probability() << "\n";
///
/// Every failure throws digitinfer::Error, which carries the C status code;
/// the `*_each` batch calls instead report a status per image. No torch header
/// is needed: this file includes only the C API.
#ifndef DIGITINFER_DIGITINFER_HPP
#define DIGITINFER_DIGITINFER_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "digitinfer/digitinfer.h"

/// The C++ API: Model, its option and result types, Error, and the free functions.
namespace digitinfer {

/// The one exception type of the C++ API; code() is the C API's status.
class Error : public std::runtime_error {
public:
    /// An error with status `code`; what() is the status name, ": ", then `message`.
    Error(di_status code, const std::string &message)
        : std::runtime_error(std::string(di_status_string(code)) + ": " + message), code_(code) {}
    /// The C API status this error carries (a di_status: DI_ERR_IO, DI_ERR_DECODE, ...).
    di_status code() const noexcept { return code_; }

private:
    di_status code_;
};

namespace detail {
inline void check(di_status status) {
    if (status != DI_OK) throw Error(status, di_last_error_message());
}
}  // namespace detail

/// The bytes of a regular file of at most `max_bytes` bytes; throws Error(DI_ERR_IO) when it cannot
/// be read, is not a regular file (a FIFO would block, /dev/zero never ends) or is larger.
inline std::vector<uint8_t> read_file(const std::string &path, uint64_t max_bytes = DI_DEFAULT_MAX_ENCODED_BYTES) {
    std::error_code error;
    const auto status = std::filesystem::status(path, error);
    if (error) throw Error(DI_ERR_IO, "cannot open '" + path + "': " + error.message());
    if (!std::filesystem::is_regular_file(status))
        throw Error(DI_ERR_IO, "'" + path + "' is not a regular file (a directory, FIFO, socket or device)");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(DI_ERR_IO, "cannot open '" + path + "'");
    std::vector<uint8_t> bytes;
    char chunk[65536];
    while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {  // to the end, never past the limit
        if (bytes.size() + uint64_t(in.gcount()) > max_bytes)
            throw Error(DI_ERR_IO, "'" + path + "' is over the limit of " + std::to_string(max_bytes) + " bytes");
        bytes.insert(bytes.end(), chunk, chunk + in.gcount());
    }
    if (in.bad()) throw Error(DI_ERR_IO, "cannot read '" + path + "'");
    return bytes;
}

/// Version of the loaded library ("MAJOR.MINOR.PATCH").
inline std::string version() { return di_version(); }

/// "auto", "native", "libtorch" or "reference" (the C API's names); "unknown" for other values.
inline std::string engine_name(di_engine engine) { return di_engine_name(engine); }

/// The engine called `name`; throws Error(DI_ERR_INVALID_ARGUMENT) for an unknown name.
inline di_engine engine_from_name(const std::string &name) {
    di_engine engine = DI_ENGINE_AUTO;
    detail::check(di_engine_from_name(name.c_str(), &engine));
    return engine;
}

/// "auto", "log_probabilities", "logits" or "probabilities"; "unknown" for other values.
inline std::string output_kind_name(di_output_kind kind) { return di_output_kind_name(kind); }

/// The output kind called `name` (also "log_softmax", "softmax"); throws Error for an unknown name.
inline di_output_kind output_kind_from_name(const std::string &name) {
    di_output_kind kind = DI_OUTPUT_AUTO;
    detail::check(di_output_kind_from_name(name.c_str(), &kind));
    return kind;
}

/// A view of `size()` contiguous T owned by someone else (std::span before C++20); empty by default.
/// Built from a pointer and a size, a C array, or any container with data() and size().
template <class T>
class Span {
public:
    /// An empty span.
    constexpr Span() noexcept = default;
    /// The `size` elements starting at `data`.
    constexpr Span(T *data, size_t size) noexcept : data_(data), size_(size) {}
    /// The `N` elements of a C array.
    template <size_t N>
    constexpr Span(T (&array)[N]) noexcept : data_(array), size_(N) {}
    /// The elements of a contiguous container (std::vector, std::array, ...): its data() and size().
    template <class Container,
              class = std::enable_if_t<std::is_convertible_v<decltype(std::declval<Container &>().data()), T *>>>
    constexpr Span(Container &container) noexcept : data_(container.data()), size_(container.size()) {}

    /// The first element (nullptr for a default-constructed span).
    constexpr T *data() const noexcept { return data_; }
    /// Number of elements.
    constexpr size_t size() const noexcept { return size_; }
    /// True when size() is 0.
    constexpr bool empty() const noexcept { return size_ == 0; }
    /// Element `i`, unchecked: `i` must be less than size().
    constexpr T &operator[](size_t i) const noexcept { return data_[i]; }
    /// Iterator to the first element.
    constexpr T *begin() const noexcept { return data_; }
    /// Iterator past the last element.
    constexpr T *end() const noexcept { return data_ + size_; }

private:
    T *data_ = nullptr;
    size_t size_ = 0;
};

/// One class and its probability.
struct Ranked {
    /// Class index (its label: ModelInfo::labels).
    int index;
    /// Its probability, in [0, 1].
    float probability;
};

/// The result for one image. The class count comes from the model.
struct Prediction {
    int digit = -1;                        ///< predicted class index
    std::vector<float> probabilities;      ///< one per class, summing to 1
    std::vector<float> log_probabilities;  ///< natural logs of the above

    /// The probability of `digit`, in [0, 1]; 0 when `digit` is -1.
    float probability() const { return digit < 0 ? 0.0f : probabilities.at(static_cast<size_t>(digit)); }

    /// The k most probable classes, most probable first (k is clamped to the class count).
    std::vector<Ranked> top_k(size_t k) const {
        std::vector<int> order(probabilities.size());
        std::iota(order.begin(), order.end(), 0);
        k = std::min(k, order.size());
        std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                          [this](int a, int b) { return probabilities[size_t(a)] > probabilities[size_t(b)]; });
        std::vector<Ranked> ranked;
        for (size_t i = 0; i < k; ++i) ranked.push_back({order[i], probabilities[size_t(order[i])]});
        return ranked;
    }
};

/// The outcome for one image of a per-image batch call (the *_each functions).
struct ImageResult {
    di_status status = DI_OK;  ///< DI_OK, or why this image failed
    std::string message;       ///< "" on success, else the library's explanation
    Prediction prediction;     ///< digit -1 and no probabilities when the image failed

    /// True when `status` is DI_OK: the image was predicted.
    bool ok() const noexcept { return status == DI_OK; }
    /// The failure as the exception a throwing call would raise ("DI_ERR_DECODE: ..."). Only when !ok().
    Error error() const { return Error(status, message); }
};

/// Caller-owned storage for the results of `count` images (predict_into): nothing is allocated per call.
/// Each span may be empty (that result is not wanted) or must hold at least what the comment says.
struct ResultSpans {
    Span<di_prediction> predictions;  ///< `count` entries
    Span<float> probabilities;        ///< count x num_classes, row-major
    Span<float> log_probabilities;    ///< count x num_classes, row-major
    Span<di_status> statuses;         ///< `count` entries. Set: a bad image gets its status and the call does
                                      ///< not throw for it (see di_results.statuses). Empty: a bad image throws
    Span<const char *> messages;      ///< `count` entries, with statuses: "" or why. Borrowed: valid until the
                                      ///< thread's next DigitInfer call
};

/// The preprocessed input: what the model sees.
struct Preprocessed {
    /// \var width
    /// Pixels per row of `image`: the model's input width.
    /// \var height
    /// Rows of `image`: the model's input height.
    int width = 0, height = 0;
    std::vector<uint8_t> image;  ///< height x width grayscale, after resize
    std::vector<float> tensor;   ///< normalized C x height x width floats
};

/// The [N, channels, height, width] input a model takes.
struct InputShape {
    /// \var channels
    /// C: 1 for grayscale.
    /// \var height
    /// H, pixels.
    /// \var width
    /// W, pixels.
    int channels = 0, height = 0, width = 0;

    /// Floats in one image's tensor: channels x height x width.
    size_t floats() const noexcept { return size_t(channels) * size_t(height) * size_t(width); }
};

/// Description of a loaded model.
struct ModelInfo {
    /// \var channels
    /// C of the [N, C, H, W] input; 1 for grayscale.
    /// \var height
    /// H, pixels.
    /// \var width
    /// W, pixels.
    /// \var num_classes
    /// Length of each probability row.
    int channels = 0, height = 0, width = 0, num_classes = 0;
    /// \var mean
    /// Normalization mean (of pixels scaled to [0, 1]).
    /// \var std
    /// Normalization standard deviation.
    float mean = 0, std = 0;
    /// What the forward returns, resolved: never DI_OUTPUT_AUTO.
    di_output_kind output_kind = DI_OUTPUT_AUTO;
    /// True if the file carried digitinfer.json, else defaults were used.
    bool has_metadata = false;
    /// Model name.
    std::string name;
    /// Label of each class (di_model_get_label), num_classes entries.
    std::vector<std::string> labels;
    /// The engine running the forward pass, never DI_ENGINE_AUTO.
    di_engine engine = DI_ENGINE_AUTO;
    /// Why DI_ENGINE_AUTO fell back to libtorch, or "".
    std::string engine_note;
    // Since 1.1:
    int num_threads = 0;              ///< threads a batched call uses when its PredictOptions do not say
    uint64_t max_pixels = 0;          ///< largest image (width x height) accepted
    uint64_t max_encoded_bytes = 0;   ///< largest encoded file accepted
    // Since 1.2:
    di_cache_use cache = DI_CACHE_NOT_USED;  ///< what the compiled-model cache did for this load
    std::string cache_path;                  ///< the entry read (hit) or written (stored), else ""
    std::string cache_note;                  ///< why the cache was not used or not written, or ""
};

/// Load options; see di_load_options.
struct LoadOptions {
    int num_threads = 0;  ///< threads for one batched call, 0 = all cores; nonzero also sets libtorch's count
    /// DI_OUTPUT_AUTO: from the metadata, else detected at load.
    di_output_kind output_kind = DI_OUTPUT_AUTO;
    /// Which implementation runs the forward pass.
    di_engine engine = DI_ENGINE_AUTO;
    // Since 1.1:
    uint64_t max_pixels = DI_DEFAULT_MAX_PIXELS;                  ///< in [1, DI_DEFAULT_MAX_PIXELS]
    uint64_t max_encoded_bytes = DI_DEFAULT_MAX_ENCODED_BYTES;    ///< in [1, DI_DEFAULT_MAX_ENCODED_BYTES]
    // Since 1.2:
    /// Compiled-model cache directory: nullopt = $DIGITINFER_CACHE_DIR, else the XDG cache; "" = no cache.
    std::optional<std::string> cache_dir;
    // Since 1.3:
    bool trusted_model = false;  ///< DI_LOAD_TRUSTED_MODEL: the file is trusted code (no TorchScript allow-list)
    uint32_t max_jpeg_scans = DI_DEFAULT_MAX_JPEG_SCANS;                  ///< in [1, DI_MAX_JPEG_SCANS]
    uint32_t torch_time_limit_ms = DI_DEFAULT_TORCH_TIME_LIMIT_MS;        ///< per libtorch forward; 0 = none
    uint64_t torch_memory_limit_bytes = DI_DEFAULT_TORCH_MEMORY_LIMIT_BYTES;  ///< per libtorch forward; 0 = none
};

/// Options of one predict call; see di_predict_options.
struct PredictOptions {
    int num_threads = 0;  ///< threads for this call (preprocessing, native engine); 0 = the model's
};

/// A loaded model. Move-only; may be empty (default-constructed or moved from).
/// Besides the handle it keeps the class count and input shape, read once at load:
/// they never change, and predict calls need them to size their results.
/// Thread-safety: const member functions may be called from many threads at once.
class Model {
public:
    /// An empty Model: calls that need a model throw Error(DI_ERR_INVALID_ARGUMENT).
    Model() = default;
    /// Loads a TorchScript file or a .dimodel (di_model_load_file). Throws Error: DI_ERR_IO when `path` is not
    /// a readable regular file of at most 1 GiB, DI_ERR_MODEL when it is not a model the library can run.
    explicit Model(const std::string &path, const LoadOptions &options = {}) {
        const di_load_options o = to_c(options);
        detail::check(di_model_load_file(path.c_str(), &o, &model_));
        cache_description();
    }
    /// Loads a model from the `size` bytes at `data` (di_model_load_memory; copied: free them after the call).
    static Model from_memory(const void *data, size_t size, const LoadOptions &options = {}) {
        di_model *handle = nullptr;
        const di_load_options o = to_c(options);
        detail::check(di_model_load_memory(data, size, &o, &handle));
        return Model(handle);
    }
    /// Takes ownership of a handle from the C API.
    explicit Model(di_model *handle) noexcept : model_(handle) { cache_description(); }
    /// Takes `other`'s model; `other` is left empty.
    Model(Model &&other) noexcept
        : model_(std::exchange(other.model_, nullptr)),
          num_classes_(std::exchange(other.num_classes_, 0)),
          shape_(std::exchange(other.shape_, InputShape{})) {}
    /// Frees this Model's model, then takes `other`'s; `other` is left empty.
    Model &operator=(Model &&other) noexcept {
        if (this != &other) {
            di_model_free(model_);
            model_ = std::exchange(other.model_, nullptr);
            num_classes_ = std::exchange(other.num_classes_, 0);
            shape_ = std::exchange(other.shape_, InputShape{});
        }
        return *this;
    }
    /// Move-only: one owner per handle.
    Model(const Model &) = delete;
    /// Move-only: one owner per handle.
    Model &operator=(const Model &) = delete;
    /// Frees the model (di_model_free); must not race with other calls on it.
    ~Model() { di_model_free(model_); }

    /// True unless the Model is empty.
    explicit operator bool() const noexcept { return model_ != nullptr; }
    /// The C handle, still owned by this Model (nullptr when empty): do not free it.
    di_model *get() const noexcept { return model_; }
    /// Gives up ownership: the caller must di_model_free the handle.
    di_model *release() noexcept {
        num_classes_ = 0;
        shape_ = InputShape{};
        return std::exchange(model_, nullptr);
    }

    /// Length of each probability row (0 for an empty Model). No C call.
    int num_classes() const noexcept { return num_classes_; }
    /// The input the model takes (all 0 for an empty Model). No C call.
    InputShape input_shape() const noexcept { return shape_; }

    /// The full description, labels included (one C call per label: not for a hot path).
    ModelInfo info() const {
        di_model_info c = di_model_info_default();
        detail::check(di_model_get_info(model_, &c));
        ModelInfo i;
        i.channels = c.input_channels;
        i.height = c.input_height;
        i.width = c.input_width;
        i.num_classes = c.num_classes;
        i.mean = c.mean;
        i.std = c.std;
        i.output_kind = static_cast<di_output_kind>(c.output_kind);
        i.has_metadata = c.has_metadata != 0;
        i.name = c.name;
        i.engine = static_cast<di_engine>(c.engine);
        i.engine_note = c.engine_note;
        i.num_threads = c.num_threads;
        i.max_pixels = c.max_pixels;
        i.max_encoded_bytes = c.max_encoded_bytes;
        if (c.struct_size >= sizeof(di_model_info)) {  // an older library fills (and says) less
            i.cache = static_cast<di_cache_use>(c.cache);
            i.cache_path = c.cache_path;
            i.cache_note = c.cache_note;
        }
        for (int k = 0; k < c.num_classes; ++k) {
            const char *label = nullptr;
            detail::check(di_model_get_label(model_, k, &label));
            i.labels.emplace_back(label);
        }
        return i;
    }

    /// Writes the model as a .dimodel (see di_model_export_native).
    void export_native(const std::string &path) const { detail::check(di_model_export_native(model_, path.c_str())); }

    // ---------------------------------------------------------------- one result per image, throwing

    /// Predicts one encoded image file (PNG, JPEG, BMP, GIF, PGM/PPM, TGA) of `size` bytes at `data`
    /// (di_model_predict_encoded). Throws Error: DI_ERR_DECODE for corrupt, truncated, unknown or
    /// too large images, DI_ERR_INVALID_ARGUMENT when `data` is null.
    Prediction predict_encoded(const void *data, size_t size) const {
        return run(1, [&](const di_outputs *o) { return di_model_predict_encoded(model_, data, size, o); })[0];
    }
    /// Same, for the encoded file in `bytes`.
    Prediction predict_encoded(const std::vector<uint8_t> &bytes) const {
        return predict_encoded(bytes.data(), bytes.size());
    }
    /// Reads the file with read_file() (Error(DI_ERR_IO) when it cannot), then predicts it as predict_encoded().
    Prediction predict_file(const std::string &path) const { return predict_encoded(read_file(path)); }

    /// One batched call; the first bad image throws (predict_encoded_each reports each instead).
    std::vector<Prediction> predict_encoded_batch(const std::vector<std::vector<uint8_t>> &files) const {
        const auto images = encoded_views(files);
        return run(images.size(), [&](const di_outputs *o) {
            return di_model_predict_encoded_batch(model_, images.data(), images.size(), o);
        });
    }
    /// Same as predict_encoded_batch(files), with per-call options (di_model_predict_encoded_ex).
    std::vector<Prediction> predict_encoded_batch(const std::vector<std::vector<uint8_t>> &files,
                                                  const PredictOptions &options) const {
        const auto images = encoded_views(files);
        return run_ex(images.size(), options, [&](const di_predict_options *o, const di_results *r) {
            return di_model_predict_encoded_ex(model_, images.data(), images.size(), o, r);
        });
    }

    /// Predicts one raw 8-bit grayscale image, row-major, 0 = black, of any size: it is resized like an encoded
    /// one (di_model_predict_gray). `stride` is the bytes from one row to the next, 0 = `width`. Throws
    /// Error(DI_ERR_INVALID_ARGUMENT) for a null `pixels`, a size <= 0, a stride < `width` or an image over
    /// LoadOptions::max_pixels.
    Prediction predict_gray(const uint8_t *pixels, int width, int height, size_t stride = 0) const {
        di_gray_image g{pixels, width, height, stride ? stride : size_t(width > 0 ? width : 0)};
        return run(1, [&](const di_outputs *o) { return di_model_predict_gray(model_, &g, o); })[0];
    }
    /// One batched forward on raw grayscale images (di_model_predict_gray_batch); the first bad image throws
    /// (predict_gray_each reports each instead).
    std::vector<Prediction> predict_gray_batch(const std::vector<di_gray_image> &images) const {
        return run(images.size(), [&](const di_outputs *o) {
            return di_model_predict_gray_batch(model_, images.data(), images.size(), o);
        });
    }
    /// Same, with per-call options (di_model_predict_gray_ex).
    std::vector<Prediction> predict_gray_batch(const std::vector<di_gray_image> &images,
                                               const PredictOptions &options) const {
        return run_ex(images.size(), options, [&](const di_predict_options *o, const di_results *r) {
            return di_model_predict_gray_ex(model_, images.data(), images.size(), o, r);
        });
    }

    /// `tensor` holds `count` normalized C x H x W images back to back (di_model_predict_tensor): its size
    /// must be `count` x input_shape().floats(), else Error(DI_ERR_INVALID_ARGUMENT).
    std::vector<Prediction> predict_tensor(const std::vector<float> &tensor, size_t count = 1) const {
        return run(count, [&](const di_outputs *o) {
            return di_model_predict_tensor(model_, tensor.data(), tensor.size(), count, o);
        });
    }
    /// Same, with per-call options (di_model_predict_tensor_ex).
    std::vector<Prediction> predict_tensor(const std::vector<float> &tensor, size_t count,
                                           const PredictOptions &options) const {
        return run_ex(count, options, [&](const di_predict_options *o, const di_results *r) {
            return di_model_predict_tensor_ex(model_, tensor.data(), tensor.size(), count, o, r);
        });
    }

    // ---------------------------------------------------------------- a status per image

    /// One batched call; a bad image gets its own status and message instead of failing the others.
    /// Throws only for what is wrong with the call itself (empty model, too many images, ...).
    std::vector<ImageResult> predict_encoded_each(const std::vector<std::vector<uint8_t>> &files,
                                                  const PredictOptions &options = {}) const {
        const auto images = encoded_views(files);
        return run_each(images.size(), options, [&](const di_predict_options *o, const di_results *r) {
            return di_model_predict_encoded_ex(model_, images.data(), images.size(), o, r);
        });
    }
    /// Same as predict_encoded_each, for raw grayscale images.
    std::vector<ImageResult> predict_gray_each(const std::vector<di_gray_image> &images,
                                               const PredictOptions &options = {}) const {
        return run_each(images.size(), options, [&](const di_predict_options *o, const di_results *r) {
            return di_model_predict_gray_ex(model_, images.data(), images.size(), o, r);
        });
    }
    /// `tensor` holds `count` normalized C x H x W images; one holding a NaN or infinity fails alone.
    std::vector<ImageResult> predict_tensor_each(const std::vector<float> &tensor, size_t count,
                                                 const PredictOptions &options = {}) const {
        return run_each(count, options, [&](const di_predict_options *o, const di_results *r) {
            return di_model_predict_tensor_ex(model_, tensor.data(), tensor.size(), count, o, r);
        });
    }

    // ---------------------------------------------------------------- into caller-provided storage

    /// Predicts images.size() encoded images into `out`; allocates nothing (the library reuses its
    /// per-thread buffers). Throws Error when the call fails, or for a bad image when out.statuses is empty.
    void predict_into(Span<const di_encoded_image> images, const ResultSpans &out,
                      const PredictOptions &options = {}) const {
        const di_results r = to_c(images.size(), out);
        const di_predict_options o = to_c(options);
        detail::check(di_model_predict_encoded_ex(model_, images.data(), images.size(), &o, &r));
    }
    /// Same, for raw grayscale images.
    void predict_into(Span<const di_gray_image> images, const ResultSpans &out,
                      const PredictOptions &options = {}) const {
        const di_results r = to_c(images.size(), out);
        const di_predict_options o = to_c(options);
        detail::check(di_model_predict_gray_ex(model_, images.data(), images.size(), &o, &r));
    }
    /// Same, for `count` normalized C x H x W tensors back to back.
    void predict_tensor_into(Span<const float> tensor, size_t count, const ResultSpans &out,
                             const PredictOptions &options = {}) const {
        const di_results r = to_c(count, out);
        const di_predict_options o = to_c(options);
        detail::check(di_model_predict_tensor_ex(model_, tensor.data(), tensor.size(), count, &o, &r));
    }
    /// One encoded image: its best class into `prediction`, its rows into the (optional) score spans.
    void predict_into(const void *data, size_t size, di_prediction &prediction, Span<float> probabilities = {},
                      Span<float> log_probabilities = {}) const {
        const di_encoded_image image{data, size};
        ResultSpans out;
        out.predictions = Span<di_prediction>(&prediction, 1);
        out.probabilities = probabilities;
        out.log_probabilities = log_probabilities;
        predict_into(Span<const di_encoded_image>(&image, 1), out);
    }

    // ---------------------------------------------------------------- preprocessing only

    /// Runs only the preprocessing of an encoded image (di_model_preprocess_encoded): decode, grayscale,
    /// resize to the model's H x W; returns that image and the normalized tensor the model would see.
    Preprocessed preprocess_encoded(const void *data, size_t size) const {
        Preprocessed p;
        p.width = shape_.width;
        p.height = shape_.height;
        p.image.resize(size_t(shape_.width) * size_t(shape_.height));
        p.tensor.resize(shape_.floats());
        detail::check(di_model_preprocess_encoded(model_, data, size, p.image.data(), p.image.size(),
                                                  p.tensor.data(), p.tensor.size()));
        return p;
    }
    /// Reads the file with read_file(), then preprocess_encoded().
    Preprocessed preprocess_file(const std::string &path) const {
        auto bytes = read_file(path);
        return preprocess_encoded(bytes.data(), bytes.size());
    }

private:
    static di_load_options to_c(const LoadOptions &options) {
        di_load_options o = di_load_options_default();
        o.num_threads = options.num_threads;
        o.output_kind = options.output_kind;
        o.engine = options.engine;
        o.max_pixels = options.max_pixels;
        o.max_encoded_bytes = options.max_encoded_bytes;
        o.cache_dir = options.cache_dir ? options.cache_dir->c_str() : nullptr;  // `options` outlives the call
        o.flags = options.trusted_model ? DI_LOAD_TRUSTED_MODEL : 0u;
        o.max_jpeg_scans = options.max_jpeg_scans;
        o.torch_time_limit_ms = options.torch_time_limit_ms;
        o.torch_memory_limit_bytes = options.torch_memory_limit_bytes;
        return o;
    }
    static di_predict_options to_c(const PredictOptions &options) {
        di_predict_options o = di_predict_options_default();
        o.num_threads = options.num_threads;
        return o;
    }
    // The C API cannot check the lengths of the per-image arrays (it gets bare pointers): we do.
    static di_results to_c(size_t count, const ResultSpans &out) {
        const auto too_small = [count](size_t size) { return size != 0 && size < count; };
        if (too_small(out.predictions.size()) || too_small(out.statuses.size()) || too_small(out.messages.size()))
            throw Error(DI_ERR_BUFFER_TOO_SMALL, "a ResultSpans span holds fewer than the " + std::to_string(count) +
                                                     " entries of the call");
        if (!out.messages.empty() && out.statuses.empty())
            throw Error(DI_ERR_INVALID_ARGUMENT, "ResultSpans.messages needs ResultSpans.statuses");
        di_results r = di_results_default();
        r.predictions = out.predictions.empty() ? nullptr : out.predictions.data();
        r.probabilities = out.probabilities.empty() ? nullptr : out.probabilities.data();
        r.log_probabilities = out.log_probabilities.empty() ? nullptr : out.log_probabilities.data();
        // One capacity for both score arrays: the smaller, so the library never writes past either.
        if (r.probabilities && r.log_probabilities)
            r.scores_capacity = std::min(out.probabilities.size(), out.log_probabilities.size());
        else
            r.scores_capacity = r.probabilities ? out.probabilities.size() : out.log_probabilities.size();
        r.statuses = out.statuses.empty() ? nullptr : out.statuses.data();
        r.messages = out.messages.empty() ? nullptr : out.messages.data();
        return r;
    }

    static std::vector<di_encoded_image> encoded_views(const std::vector<std::vector<uint8_t>> &files) {
        std::vector<di_encoded_image> images;
        images.reserve(files.size());
        for (const auto &f : files) images.push_back({f.data(), f.size()});
        return images;
    }

    void cache_description() noexcept {
        di_model_info c = di_model_info_default();
        if (model_ && di_model_get_info(model_, &c) == DI_OK) {
            num_classes_ = c.num_classes;
            shape_.channels = c.input_channels;
            shape_.height = c.input_height;
            shape_.width = c.input_width;
        }
    }

    // Storage for `count` results, filled by one C call, then split into Predictions.
    struct Scores {
        std::vector<di_prediction> predictions;
        std::vector<float> probs, logs;
        size_t classes;
        Scores(size_t count, size_t num_classes)
            : predictions(count), probs(count * num_classes), logs(count * num_classes), classes(num_classes) {}
        // Points a di_outputs or di_results at this storage.
        template <class Out>
        void attach(Out &o) {
            o.predictions = predictions.data();
            o.probabilities = probs.data();
            o.log_probabilities = logs.data();
            o.scores_capacity = probs.size();
        }
        std::vector<Prediction> all() const {
            std::vector<Prediction> out;
            out.reserve(predictions.size());
            for (size_t i = 0; i < predictions.size(); ++i) out.push_back(at(i));
            return out;
        }
        Prediction at(size_t i) const {
            Prediction p;
            p.digit = predictions[i].class_index;
            p.probabilities.assign(probs.begin() + std::ptrdiff_t(i * classes),
                                   probs.begin() + std::ptrdiff_t((i + 1) * classes));
            p.log_probabilities.assign(logs.begin() + std::ptrdiff_t(i * classes),
                                       logs.begin() + std::ptrdiff_t((i + 1) * classes));
            return p;
        }
    };

    template <class Call>  // Call: di_status(const di_outputs *)
    std::vector<Prediction> run(size_t count, Call call) const {
        Scores s(count, size_t(num_classes_));
        di_outputs o = di_outputs_default();
        s.attach(o);
        detail::check(call(&o));
        return s.all();
    }

    template <class Call>  // Call: di_status(const di_predict_options *, const di_results *)
    std::vector<Prediction> run_ex(size_t count, const PredictOptions &options, Call call) const {
        Scores s(count, size_t(num_classes_));
        di_results r = di_results_default();
        s.attach(r);
        const di_predict_options o = to_c(options);
        detail::check(call(&o, &r));
        return s.all();
    }

    template <class Call>  // Call: di_status(const di_predict_options *, const di_results *)
    std::vector<ImageResult> run_each(size_t count, const PredictOptions &options, Call call) const {
        Scores s(count, size_t(num_classes_));
        std::vector<di_status> statuses(count, DI_OK);
        std::vector<const char *> messages(count, nullptr);
        di_results r = di_results_default();
        s.attach(r);
        r.statuses = statuses.data();
        r.messages = messages.data();
        const di_predict_options o = to_c(options);
        detail::check(call(&o, &r));
        // The messages are borrowed until this thread's next DigitInfer call: copy them first.
        std::vector<ImageResult> out(count);
        for (size_t i = 0; i < count; ++i) {
            out[i].status = statuses[i];
            if (statuses[i] != DI_OK) out[i].message = messages[i] ? messages[i] : "";
        }
        for (size_t i = 0; i < count; ++i)
            if (out[i].ok()) out[i].prediction = s.at(i);
        return out;
    }

    di_model *model_ = nullptr;
    int num_classes_ = 0;
    InputShape shape_;
};

}  // namespace digitinfer

#endif  // DIGITINFER_DIGITINFER_HPP
