// DigitInfer C++ API: a header-only, RAII, exception-based wrapper over the C API.
//
//     digitinfer::Model model("convnet.scripted.pt");
//     digitinfer::Prediction p = model.predict_file("digit.png");
//     std::cout << p.digit << " " << p.probability() << "\n";
//
// Every failure throws digitinfer::Error, which carries the C status code.
// No torch header is needed: this file includes only the C API.
#ifndef DIGITINFER_DIGITINFER_HPP
#define DIGITINFER_DIGITINFER_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "digitinfer/digitinfer.h"

namespace digitinfer {

/// The one exception type of the C++ API; code() is the C API's status.
class Error : public std::runtime_error {
public:
    Error(di_status code, const std::string &message)
        : std::runtime_error(std::string(di_status_string(code)) + ": " + message), code_(code) {}
    di_status code() const noexcept { return code_; }

private:
    di_status code_;
};

namespace detail {
inline void check(di_status status) {
    if (status != DI_OK) throw Error(status, di_last_error_message());
}
}  // namespace detail

/// The bytes of a file; throws Error(DI_ERR_IO) when it cannot be read.
inline std::vector<uint8_t> read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(DI_ERR_IO, "cannot open '" + path + "'");
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw Error(DI_ERR_IO, "cannot read '" + path + "'");
    return bytes;
}

/// Version of the loaded library ("MAJOR.MINOR.PATCH").
inline std::string version() { return di_version(); }

/// One class and its probability.
struct Ranked {
    int index;
    float probability;
};

/// The result for one image. The class count comes from the model.
struct Prediction {
    int digit = -1;                        ///< predicted class index
    std::vector<float> probabilities;      ///< one per class, summing to 1
    std::vector<float> log_probabilities;  ///< natural logs of the above

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

/// The preprocessed input: what the model sees.
struct Preprocessed {
    int width = 0, height = 0;
    std::vector<uint8_t> image;  ///< height x width grayscale, after resize
    std::vector<float> tensor;   ///< normalized C x height x width floats
};

/// Description of a loaded model.
struct ModelInfo {
    int channels, height, width, num_classes;
    float mean, std;
    di_output_kind output_kind;
    bool has_metadata;
    std::string name;
    std::vector<std::string> labels;
    di_engine engine;
    std::string engine_note;
};

/// Load options; see di_load_options.
struct LoadOptions {
    int num_threads = 0;
    di_output_kind output_kind = DI_OUTPUT_AUTO;
    di_engine engine = DI_ENGINE_AUTO;
};

/// A loaded model. Move-only; may be empty (default-constructed or moved from).
/// Thread-safety: const member functions may be called from many threads at once.
class Model {
public:
    Model() = default;
    explicit Model(const std::string &path, const LoadOptions &options = {}) {
        di_load_options o = to_c(options);
        detail::check(di_model_load_file(path.c_str(), &o, &model_));
    }
    static Model from_memory(const void *data, size_t size, const LoadOptions &options = {}) {
        Model m;
        di_load_options o = to_c(options);
        detail::check(di_model_load_memory(data, size, &o, &m.model_));
        return m;
    }
    /// Takes ownership of a handle from the C API.
    explicit Model(di_model *handle) noexcept : model_(handle) {}
    Model(Model &&other) noexcept : model_(std::exchange(other.model_, nullptr)) {}
    Model &operator=(Model &&other) noexcept {
        if (this != &other) {
            di_model_free(model_);
            model_ = std::exchange(other.model_, nullptr);
        }
        return *this;
    }
    Model(const Model &) = delete;
    Model &operator=(const Model &) = delete;
    ~Model() { di_model_free(model_); }

    explicit operator bool() const noexcept { return model_ != nullptr; }
    di_model *get() const noexcept { return model_; }
    /// Gives up ownership: the caller must di_model_free the handle.
    di_model *release() noexcept { return std::exchange(model_, nullptr); }

    ModelInfo info() const {
        di_model_info c = di_model_info_default();
        detail::check(di_model_get_info(model_, &c));
        ModelInfo i{c.input_channels, c.input_height, c.input_width, c.num_classes, c.mean, c.std,
                    static_cast<di_output_kind>(c.output_kind), c.has_metadata != 0, c.name, {},
                    static_cast<di_engine>(c.engine), c.engine_note};
        for (int k = 0; k < c.num_classes; ++k) {
            const char *label = nullptr;
            detail::check(di_model_get_label(model_, k, &label));
            i.labels.emplace_back(label);
        }
        return i;
    }

    /// Writes the model as a .dimodel (see di_model_export_native).
    void export_native(const std::string &path) const { detail::check(di_model_export_native(model_, path.c_str())); }

    Prediction predict_encoded(const void *data, size_t size) const {
        return run(1, [&](const di_outputs *o) { return di_model_predict_encoded(model_, data, size, o); })[0];
    }
    Prediction predict_encoded(const std::vector<uint8_t> &bytes) const {
        return predict_encoded(bytes.data(), bytes.size());
    }
    Prediction predict_file(const std::string &path) const { return predict_encoded(read_file(path)); }

    std::vector<Prediction> predict_encoded_batch(const std::vector<std::vector<uint8_t>> &files) const {
        std::vector<di_encoded_image> images;
        for (const auto &f : files) images.push_back({f.data(), f.size()});
        return run(images.size(), [&](const di_outputs *o) {
            return di_model_predict_encoded_batch(model_, images.data(), images.size(), o);
        });
    }

    Prediction predict_gray(const uint8_t *pixels, int width, int height, size_t stride = 0) const {
        di_gray_image g{pixels, width, height, stride ? stride : size_t(width > 0 ? width : 0)};
        return run(1, [&](const di_outputs *o) { return di_model_predict_gray(model_, &g, o); })[0];
    }
    std::vector<Prediction> predict_gray_batch(const std::vector<di_gray_image> &images) const {
        return run(images.size(), [&](const di_outputs *o) {
            return di_model_predict_gray_batch(model_, images.data(), images.size(), o);
        });
    }

    /// `tensor` holds `count` normalized C x H x W images back to back.
    std::vector<Prediction> predict_tensor(const std::vector<float> &tensor, size_t count = 1) const {
        return run(count, [&](const di_outputs *o) {
            return di_model_predict_tensor(model_, tensor.data(), tensor.size(), count, o);
        });
    }

    Preprocessed preprocess_encoded(const void *data, size_t size) const {
        di_model_info c = di_model_info_default();
        detail::check(di_model_get_info(model_, &c));
        Preprocessed p;
        p.width = c.input_width;
        p.height = c.input_height;
        p.image.resize(size_t(c.input_width) * size_t(c.input_height));
        p.tensor.resize(p.image.size() * size_t(c.input_channels));
        detail::check(di_model_preprocess_encoded(model_, data, size, p.image.data(), p.image.size(),
                                                  p.tensor.data(), p.tensor.size()));
        return p;
    }
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
        return o;
    }

    template <class Call>
    std::vector<Prediction> run(size_t count, Call call) const {
        di_model_info c = di_model_info_default();
        detail::check(di_model_get_info(model_, &c));
        const size_t classes = size_t(c.num_classes);
        std::vector<di_prediction> predictions(count);
        std::vector<float> probs(count * classes), logs(count * classes);
        di_outputs o = di_outputs_default();
        o.predictions = predictions.data();
        o.probabilities = probs.data();
        o.log_probabilities = logs.data();
        o.scores_capacity = probs.size();
        detail::check(call(&o));
        std::vector<Prediction> out(count);
        for (size_t i = 0; i < count; ++i) {
            out[i].digit = predictions[i].class_index;
            out[i].probabilities.assign(probs.begin() + std::ptrdiff_t(i * classes),
                                        probs.begin() + std::ptrdiff_t((i + 1) * classes));
            out[i].log_probabilities.assign(logs.begin() + std::ptrdiff_t(i * classes),
                                            logs.begin() + std::ptrdiff_t((i + 1) * classes));
        }
        return out;
    }

    di_model *model_ = nullptr;
};

}  // namespace digitinfer

#endif  // DIGITINFER_DIGITINFER_HPP
