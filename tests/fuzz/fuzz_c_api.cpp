// libFuzzer target: sequences of C API calls chosen by the input's bytes, on two
// model slots: di_model_load_memory of a seed model (whole or cut short, with
// fuzzed load options), predict_encoded / _batch / _ex on seed images (cut and
// overwritten by the input) or on raw input bytes, predict_gray / _batch / _ex
// with fuzzed sizes and strides (overflowing ones included), predict_tensor / _ex
// with fuzzed counts and values (NaN too), get_info and get_label with odd struct
// sizes and indices, preprocess_encoded with fuzzed capacities, the name lookups,
// NULL arguments, and di_model_free.
//
// Every call must keep the contract of api_checks.hpp (documented statuses, a
// message after a failure, results in range); buffers are always what they
// claim to be (a lying caller is undefined behaviour, not a finding), except for
// strides whose extent overflows, which the library must refuse unread.
//
// Seeds models and images are read once from the source tree (DI_FUZZ_SOURCE_DIR):
// models/convnet.dimodel, tests/fuzz/corpus/native_model, one TorchScript seed
// (refused with DI_ERR_MODEL where the plugin is not built), tests/data/images.
// The input is the program: tests/fuzz/corpus/c_api has a few (make_api_seeds.py).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "api_checks.hpp"

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

std::vector<Bytes> read_all(const std::vector<fs::path> &paths) {
    std::vector<Bytes> out;
    for (const auto &p : paths) {
        std::ifstream in(p, std::ios::binary);
        out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return out;
}

std::vector<fs::path> files_in(const fs::path &dir) {
    std::vector<fs::path> out;
    for (const auto &e : fs::directory_iterator(dir))
        if (e.is_regular_file()) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

struct Seeds {
    std::vector<Bytes> models, images;
    Seeds() {
        const fs::path root = DI_FUZZ_SOURCE_DIR;
        std::vector<fs::path> m = files_in(root / "tests/fuzz/corpus/native_model");
        m.push_back(root / "models/convnet.dimodel");
        m.push_back(root / "tests/fuzz/corpus/torchscript_model/linear-scripted-4x4.pt");
        models = read_all(m);
        images = read_all(files_in(root / "tests/data/images"));
    }
};

const Seeds &seeds() {
    static const Seeds s;
    return s;
}

// The input, read from the front; zeros once it runs out.
class Program {
public:
    Program(const uint8_t *data, std::size_t size) : p_(data), n_(size) {}
    bool done() const { return n_ == 0; }
    uint8_t u8() { return n_ ? (--n_, *p_++) : 0; }
    uint32_t u16() { return uint32_t(u8()) | uint32_t(u8()) << 8; }
    Bytes take(std::size_t k) {
        k = std::min(k, n_);
        Bytes b(p_, p_ + k);
        p_ += k;
        n_ -= k;
        return b;
    }

private:
    const uint8_t *p_;
    std::size_t n_;
};

struct Slot {
    di_model *model = nullptr;
    di_model_info info = di_model_info_default();
    // Loaded with an output_kind the caller chose: if it is not what the model returns (logits
    // read as probabilities), the scores are the caller's claim, not a distribution; only the
    // statuses are checked then.
    bool forced_output_kind = false;
};

// An encoded image: a seed image, maybe cut and with a few bytes overwritten, or raw input bytes.
Bytes image_from(Program &in) {
    const uint8_t how = in.u8();
    if (how % 4 == 3) return in.take(std::size_t(in.u8()) * 4);
    Bytes b = seeds().images[in.u8() % seeds().images.size()];
    if (how & 4) b.resize(b.size() * in.u8() / 256);
    for (int edits = (how >> 3) & 3; edits > 0 && !b.empty(); --edits) b[in.u16() % b.size()] = in.u8();
    return b;
}

// Gray geometry: honest (the extent fits the buffer) or overflowing (must be refused unread).
di_gray_image gray_from(Program &in, const Bytes &buffer) {
    di_gray_image g{buffer.data(), int32_t(in.u8() % 72) - 4, int32_t(in.u8() % 72) - 4, 0};
    const uint8_t how = in.u8();
    switch (how % 6) {
    case 0: g.stride = std::size_t(std::max(g.width, 0)); break;
    case 1: g.stride = std::size_t(std::max(g.width, 0)) + how / 6; break;
    case 2: g.stride = std::size_t(std::max(g.width - 1 - how / 6, 0)); break;  // below the width
    case 3: g.stride = SIZE_MAX - how / 6; break;
    case 4: g.stride = (std::size_t(1) << 63) + how / 6; break;
    default: g.pixels = nullptr; g.stride = std::size_t(std::max(g.width, 0)); break;
    }
    const bool overflows = g.height > 1 && g.stride > (SIZE_MAX - std::size_t(std::max(g.width, 0))) / std::size_t(g.height - 1);
    if (!overflows && g.width > 0 && g.height > 0 && g.stride >= std::size_t(g.width) &&
        g.stride * std::size_t(g.height - 1) + std::size_t(g.width) > buffer.size())
        g.stride = std::size_t(g.width);  // keep the caller honest: it fits, 70x70 < buffer
    return g;
}

// Output arrays that are what they claim: predictions maybe NULL, scores of a fuzzed capacity.
struct Outputs {
    std::vector<di_prediction> predictions;
    std::vector<float> probabilities, log_probabilities;
    std::size_t capacity = 0;
    bool with_predictions = true;

    Outputs(Program &in, std::size_t count, int classes) {
        const uint8_t how = in.u8();
        with_predictions = how & 1;
        predictions.resize(std::max<std::size_t>(count, 1));
        capacity = (how & 2) ? count * std::size_t(std::max(classes, 0)) : std::size_t(in.u8() % 64);
        if (how & 4) probabilities.resize(std::max<std::size_t>(capacity, 1));
        if (how & 8) log_probabilities.resize(std::max<std::size_t>(capacity, 1));
    }
    di_outputs c() {
        di_outputs o = di_outputs_default();
        o.predictions = with_predictions ? predictions.data() : nullptr;
        o.probabilities = probabilities.empty() ? nullptr : probabilities.data();
        o.log_probabilities = log_probabilities.empty() ? nullptr : log_probabilities.data();
        o.scores_capacity = capacity;
        return o;
    }
    // After DI_OK on `count` images of a model with `classes`.
    void check(std::size_t count, int classes, const char *call, const di_status *statuses = nullptr,
               const char *const *messages = nullptr) const {
        for (std::size_t i = 0; i < count; ++i) {
            if (statuses) fuzz::check_status_value(statuses[i], call);
            if (messages && statuses[i] != DI_OK && (!messages[i] || !*messages[i]))
                fuzz::broken(call, "a failed image without a message");
            if (statuses && statuses[i] != DI_OK) {
                if (with_predictions && (predictions[i].class_index != -1 || predictions[i].probability != 0.0f))
                    fuzz::broken(call, "a failed image's prediction is not {-1, 0}");
                continue;
            }
            if (with_predictions) fuzz::check_prediction(predictions[i], classes, call);
            if (!probabilities.empty()) fuzz::check_probabilities(&probabilities[i * std::size_t(classes)], classes, call);
        }
    }
};

di_predict_options predict_options(Program &in) {
    di_predict_options o = di_predict_options_default();
    const uint8_t how = in.u8();
    o.num_threads = int32_t(how % 5) - 1;  // -1 is refused, 0 the model's, 1-3
    if (how & 0x80) o.struct_size = how & 0x40 ? 0 : 4;  // too small to be any version
    return o;
}

void load(Program &in, Slot &slot) {
    const Bytes &seed = seeds().models[in.u8() % seeds().models.size()];
    const uint8_t cut = in.u8(), how = in.u8(), limits = in.u8();
    const std::size_t size = cut < 224 ? seed.size() : seed.size() * (cut - 224) / 32;
    di_load_options opts = di_load_options_default();
    opts.num_threads = int32_t(how & 3);
    opts.engine = (how >> 2) & 3;
    opts.output_kind = (how >> 4) & 3;
    if (how & 0x40) opts.engine = 7;  // not an engine
    if (how & 0x80) opts.flags = DI_LOAD_TRUSTED_MODEL;
    const uint64_t pixels[] = {1, 784, 1u << 16, 1u << 20};  // never the default cap: fuzz_decode covers that
    opts.max_pixels = pixels[limits & 3];
    opts.max_encoded_bytes = (limits & 4) ? 64 : 1u << 20;
    opts.max_jpeg_scans = (limits & 8) ? 1 : DI_DEFAULT_MAX_JPEG_SCANS;
    opts.cache_dir = "";
    if ((limits >> 4) == 15) opts.struct_size = 8;  // too small for any version
    di_model *model = nullptr;
    const di_status status = di_model_load_memory(seed.data(), size, &opts, &model);
    fuzz::check_status(status, "di_model_load_memory");
    if ((status == DI_OK) != (model != nullptr)) fuzz::broken("di_model_load_memory", "*out does not match the status");
    if (status != DI_OK) return;
    di_model_free(slot.model);
    slot.model = model;
    slot.forced_output_kind = opts.output_kind != DI_OUTPUT_AUTO;
    slot.info = di_model_info_default();
    fuzz::check_status(di_model_get_info(model, &slot.info), "di_model_get_info");
}

// The _ex calls' results, into the same buffers as `o`.
di_results results_into(const di_outputs &o) {
    di_results r = di_results_default();
    r.predictions = o.predictions;
    r.probabilities = o.probabilities;
    r.log_probabilities = o.log_probabilities;
    r.scores_capacity = o.scores_capacity;
    return r;
}

void predict_encoded(Program &in, Slot &slot, uint8_t op) {
    const char *call = "di_model_predict_encoded(_batch|_ex)";
    const std::size_t count = op == 0 ? 1 : in.u8() % 5;
    std::vector<Bytes> files;
    std::vector<di_encoded_image> images;
    for (std::size_t i = 0; i < count; ++i) files.push_back(image_from(in));
    for (const auto &f : files) images.push_back({f.empty() ? nullptr : f.data(), f.size()});
    Outputs out(in, count, slot.info.num_classes);
    di_outputs o = out.c();
    di_status status;
    std::vector<di_status> statuses(std::max<std::size_t>(count, 1));
    std::vector<const char *> messages(std::max<std::size_t>(count, 1));
    const bool with_statuses = op == 2 && (in.u8() & 1);
    if (op == 0) {
        status = di_model_predict_encoded(slot.model, images[0].data, images[0].size, &o);
    } else if (op == 1) {
        status = di_model_predict_encoded_batch(slot.model, images.data(), count, &o);
    } else {
        di_results r = results_into(o);
        if (with_statuses) {
            r.statuses = statuses.data();
            r.messages = messages.data();
        }
        const di_predict_options opts = predict_options(in);
        status = di_model_predict_encoded_ex(slot.model, images.data(), count, &opts, &r);
    }
    fuzz::check_status(status, call);
    if (status == DI_OK && !slot.forced_output_kind)
        out.check(count, slot.info.num_classes, call, with_statuses ? statuses.data() : nullptr,
                  with_statuses ? messages.data() : nullptr);
}

void predict_gray(Program &in, Slot &slot, uint8_t op) {
    const char *call = "di_model_predict_gray(_batch|_ex)";
    static const Bytes buffer = [] {
        Bytes b(72 * 72);
        for (std::size_t i = 0; i < b.size(); ++i) b[i] = uint8_t(i * 37 + (i >> 6));
        return b;
    }();
    const std::size_t count = op == 0 ? 1 : in.u8() % 5;
    std::vector<di_gray_image> images;
    for (std::size_t i = 0; i < std::max<std::size_t>(count, 1); ++i) images.push_back(gray_from(in, buffer));
    Outputs out(in, count, slot.info.num_classes);
    di_outputs o = out.c();
    std::vector<di_status> statuses(images.size());
    const bool with_statuses = op == 2 && (in.u8() & 1);
    di_status status;
    if (op == 0) {
        status = di_model_predict_gray(slot.model, (in.u8() == 0) ? nullptr : &images[0], &o);
    } else if (op == 1) {
        status = di_model_predict_gray_batch(slot.model, images.data(), count, &o);
    } else {
        di_results r = results_into(o);
        if (with_statuses) r.statuses = statuses.data();
        const di_predict_options opts = predict_options(in);
        status = di_model_predict_gray_ex(slot.model, images.data(), count, &opts, &r);
    }
    fuzz::check_status(status, call);
    if (status == DI_OK && !slot.forced_output_kind)
        out.check(count, slot.info.num_classes, call, with_statuses ? statuses.data() : nullptr);
}

void predict_tensor(Program &in, Slot &slot) {
    const char *call = "di_model_predict_tensor(_ex)";
    const std::size_t per = std::size_t(std::max(slot.info.input_channels, 0)) *
                            std::size_t(std::max(slot.info.input_height, 0)) *
                            std::size_t(std::max(slot.info.input_width, 0));
    const std::size_t count = in.u8() % 3;
    const int delta = int(in.u8() % 5) - 2;  // -2..2, mostly wrong
    const std::size_t floats = std::size_t(std::max<long long>(0, (long long)(count * per) + (delta == 2 ? 0 : delta)));
    std::vector<float> data(std::max<std::size_t>(floats, 1), 0.25f);
    for (std::size_t i = 0, n = in.u8() % 8; i < n && floats; ++i) {  // a few fuzzed values: NaN, inf, huge
        const Bytes b = in.take(4);
        if (b.size() == 4) std::memcpy(&data[in.u16() % floats], b.data(), 4);
    }
    Outputs out(in, count, slot.info.num_classes);
    di_outputs o = out.c();
    std::vector<di_status> statuses(std::max<std::size_t>(count, 1));
    const bool ex = in.u8() & 1;
    di_status status;
    if (!ex) {
        status = di_model_predict_tensor(slot.model, data.data(), floats, count, &o);
    } else {
        di_results r = di_results_default();
        r.predictions = o.predictions;
        r.probabilities = o.probabilities;
        r.scores_capacity = o.scores_capacity;
        r.statuses = statuses.data();
        const di_predict_options opts = predict_options(in);
        status = di_model_predict_tensor_ex(slot.model, data.data(), floats, count, &opts, &r);
    }
    fuzz::check_status(status, call);
    if (status == DI_OK && !slot.forced_output_kind)
        out.check(count, slot.info.num_classes, call, ex ? statuses.data() : nullptr);
}

void info_and_labels(Program &in, Slot &slot) {
    di_model_info info = di_model_info_default();
    const uint8_t how = in.u8();
    if (how & 1) info.struct_size = how & 2 ? 0 : 12;  // no version is that small
    const di_status status = di_model_get_info(slot.model, &info);
    fuzz::check_status(status, "di_model_get_info");
    if (status == DI_OK && (!info.name || !info.engine_note)) fuzz::broken("di_model_get_info", "NULL name or note");
    const char *label = nullptr;
    const int32_t index = int32_t(int8_t(in.u8())) * (how & 4 ? 1 : 1000000);
    const di_status got = di_model_get_label(slot.model, index, (how & 8) ? nullptr : &label);
    fuzz::check_status(got, "di_model_get_label");
    if (got == DI_OK && (!label || index < 0 || index >= slot.info.num_classes))
        fuzz::broken("di_model_get_label", "DI_OK for an index out of range, or no label");
}

void preprocess(Program &in, Slot &slot) {
    const Bytes file = image_from(in);
    const std::size_t pixels = std::size_t(std::max(slot.info.input_height, 0)) * std::size_t(std::max(slot.info.input_width, 0));
    const std::size_t floats = pixels * std::size_t(std::max(slot.info.input_channels, 0));
    const uint8_t how = in.u8();
    Bytes image(pixels + 2);
    std::vector<float> tensor(floats + 2);
    // The exact capacity, one less or one more (the buffers hold two more).
    const auto near = [](std::size_t n, int k) { return k < 0 && n == 0 ? n : n + std::size_t(k); };
    const std::size_t image_capacity = how & 1 ? near(pixels, (how >> 6) % 3 - 1) : 0;
    const std::size_t tensor_capacity = how & 2 ? near(floats, (how >> 4) % 3 - 1) : 0;
    const di_status status = di_model_preprocess_encoded(slot.model, file.empty() ? nullptr : file.data(), file.size(),
                                                         how & 1 ? image.data() : nullptr, image_capacity,
                                                         how & 2 ? tensor.data() : nullptr, tensor_capacity);
    fuzz::check_status(status, "di_model_preprocess_encoded");
}

void names(Program &in) {
    // Values C++ can hold in each enum (a C caller may pass any int: the library reads the bytes).
    const int value = int(int8_t(in.u8())), unsigned_value = int(uint8_t(value));
    if (!di_status_string(di_status(value)) || !di_engine_name(di_engine(unsigned_value)) ||
        !di_output_kind_name(di_output_kind(unsigned_value)))
        fuzz::broken("di_*_name", "NULL for an unknown value");
    const Bytes text = in.take(in.u8() % 24);
    const std::string name(text.begin(), text.end());
    di_engine engine;
    di_output_kind kind;
    fuzz::check_status(di_engine_from_name(name.c_str(), &engine), "di_engine_from_name");
    fuzz::check_status(di_output_kind_from_name(name.c_str(), &kind), "di_output_kind_from_name");
}

// NULL where a pointer is required: DI_ERR_INVALID_ARGUMENT, never a crash.
void nulls(Program &in, Slot &slot) {
    di_outputs none = di_outputs_default();
    di_model *model = nullptr;
    const uint8_t which = in.u8() % 6;
    const di_status status = which == 0   ? di_model_predict_encoded(slot.model, nullptr, in.u8(), &none)
                             : which == 1 ? di_model_get_info(slot.model, nullptr)
                             : which == 2 ? di_model_load_memory(nullptr, in.u8(), nullptr, &model)
                             : which == 3 ? di_model_load_memory("x", 1, nullptr, nullptr)
                             : which == 4 ? di_model_predict_encoded_batch(slot.model, nullptr, 1 + in.u8(), &none)
                                          : di_model_predict_gray_ex(slot.model, nullptr, 1, nullptr, nullptr);
    fuzz::check_status(status, "a call with a NULL argument");
    if (status != DI_ERR_INVALID_ARGUMENT) fuzz::broken("a call with a NULL argument", "not DI_ERR_INVALID_ARGUMENT");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size) {
    Program in(data, size);
    Slot slots[2];
    for (int calls = 0; calls < 48 && !in.done(); ++calls) {
        const uint8_t op = in.u8();
        Slot &slot = slots[(op >> 7) & 1];
        switch (op % 13) {
        case 0: load(in, slot); break;
        case 1: di_model_free(slot.model); slot = Slot{}; break;
        case 2: case 3: case 4: predict_encoded(in, slot, uint8_t(op % 13 - 2)); break;
        case 5: case 6: case 7: predict_gray(in, slot, uint8_t(op % 13 - 5)); break;
        case 8: predict_tensor(in, slot); break;
        case 9: info_and_labels(in, slot); break;
        case 10: preprocess(in, slot); break;
        case 11: names(in); break;
        default: nulls(in, slot); break;
        }
    }
    for (Slot &s : slots) di_model_free(s.model);
    return 0;
}
