// DigitInfer through its public C API, as an application would use it.
//
// MODEL is a .dimodel or a TorchScript file; --engine auto|native|libtorch|reference picks
// di_load_options.engine (default auto). Every result names the engine that ran.
//
//   digitinfer_bench e2e     MODEL IMAGE... [--threads T] [--min-time S]
//       encoded bytes in memory -> digit (di_model_predict_encoded), and the
//       preprocessing alone (di_model_preprocess_encoded), per image
//   digitinfer_bench forward MODEL [--threads T] [--batches 1,2,4] [--min-time S]
//       normalized tensors -> predictions (di_model_predict_tensor)
//   digitinfer_bench check   MODEL IMAGE...     log-probabilities of the shared test input, digits
//   digitinfer_bench once    MODEL IMAGE        load, one prediction, print digit and memory
//
// Prints one JSON object per line (see timing.hpp).
#include <digitinfer/digitinfer.h>

#include <cstdio>
#include <string>
#include <vector>

#include "timing.hpp"

namespace {

struct Options {
    std::string mode, model;
    std::vector<std::string> images;
    int threads = 1;
    std::vector<std::size_t> batches{1};
    double min_time = 1.0;
    std::string engine = "auto";
};

int engine_code(const std::string &name) {
    if (name == "auto") return DI_ENGINE_AUTO;
    if (name == "native") return DI_ENGINE_NATIVE;
    if (name == "libtorch") return DI_ENGINE_LIBTORCH;
    if (name == "reference") return DI_ENGINE_LIBTORCH_REFERENCE;
    std::fprintf(stderr, "unknown engine %s (auto, native, libtorch, reference)\n", name.c_str());
    std::exit(2);
}

const char *engine_name(int engine) {
    switch (engine) {
    case DI_ENGINE_NATIVE: return "native";
    case DI_ENGINE_LIBTORCH: return "libtorch";
    case DI_ENGINE_LIBTORCH_REFERENCE: return "reference";
    default: return "auto";
    }
}

Options parse(int argc, char **argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s e2e|forward|check|once MODEL [IMAGE...] [--threads T] [--batches L] "
                             "[--min-time S] [--engine auto|native|libtorch|reference]\n", argv[0]);
        std::exit(2);
    }
    Options o;
    o.mode = argv[1];
    o.model = argv[2];
    for (int i = 3; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) { std::fprintf(stderr, "%s needs a value\n", a.c_str()); std::exit(2); }
            return argv[++i];
        };
        if (a == "--threads") o.threads = std::stoi(next());
        else if (a == "--batches") o.batches = sbs::parse_list(next());
        else if (a == "--min-time") o.min_time = std::stod(next());
        else if (a == "--engine") o.engine = next();
        else if (a.rfind("--", 0) == 0) { std::fprintf(stderr, "unknown option %s\n", a.c_str()); std::exit(2); }
        else o.images.push_back(a);
    }
    return o;
}

void check(di_status s, const char *what) {
    if (s != DI_OK) {
        std::fprintf(stderr, "%s: %s: %s\n", what, di_status_string(s), di_last_error_message());
        std::exit(1);
    }
}

}  // namespace

int main(int argc, char **argv) {
    const Options o = parse(argc, argv);
    di_load_options opts = di_load_options_default();
    opts.num_threads = o.threads;
    opts.engine = engine_code(o.engine);
    di_model *model = nullptr;
    check(di_model_load_file(o.model.c_str(), &opts, &model), "load");
    di_model_info info = di_model_info_default();
    check(di_model_get_info(model, &info), "info");
    const std::size_t per_image = std::size_t(info.input_channels) * info.input_height * info.input_width;
    const std::size_t classes = std::size_t(info.num_classes);
    // "digitinfer" for the default engine choice, "digitinfer_<engine>" when one was forced.
    const std::string impl = o.engine == "auto" ? "digitinfer" : "digitinfer_" + o.engine;
    const std::string threads = "\"threads\": " + std::to_string(o.threads) + ", \"engine\": \"" +
                                engine_name(info.engine) + "\"";

    if (o.mode == "once") {
        if (o.images.size() != 1) { std::fprintf(stderr, "once takes one image\n"); return 2; }
        const std::string bytes = sbs::read_bytes(o.images[0]);
        di_prediction p{};
        di_outputs out = di_outputs_default();
        out.predictions = &p;
        check(di_model_predict_encoded(model, bytes.data(), bytes.size(), &out), "predict");
        std::printf("{\"impl\": \"%s\", \"kind\": \"memory\", \"engine\": \"%s\", \"digit\": %d, %s}\n",
                    impl.c_str(), engine_name(info.engine), p.class_index, sbs::memory_json().c_str());
    } else if (o.mode == "check") {
        std::vector<float> x = sbs::test_batch(2, per_image), logs(2 * classes);
        di_outputs out = di_outputs_default();
        out.log_probabilities = logs.data();
        out.scores_capacity = logs.size();
        check(di_model_predict_tensor(model, x.data(), x.size(), 2, &out), "predict_tensor");
        std::printf("{\"impl\": \"%s\", \"kind\": \"check\", \"engine\": \"%s\", \"log_probabilities\": [",
                    impl.c_str(), engine_name(info.engine));
        for (std::size_t i = 0; i < logs.size(); ++i) std::printf("%s%.8g", i ? ", " : "", logs[i]);
        std::printf("], \"digits\": {");
        for (std::size_t i = 0; i < o.images.size(); ++i) {
            const std::string bytes = sbs::read_bytes(o.images[i]);
            di_prediction p{};
            di_outputs po = di_outputs_default();
            po.predictions = &p;
            check(di_model_predict_encoded(model, bytes.data(), bytes.size(), &po), "predict");
            std::printf("%s\"%s\": %d", i ? ", " : "", sbs::json_escape(o.images[i]).c_str(), p.class_index);
        }
        std::printf("}}\n");
    } else if (o.mode == "e2e") {
        for (const std::string &path : o.images) {
            const std::string bytes = sbs::read_bytes(path);
            di_prediction p{};
            di_outputs out = di_outputs_default();
            out.predictions = &p;
            int digit = -1;
            const sbs::Stats e2e = sbs::measure(
                [&] {
                    check(di_model_predict_encoded(model, bytes.data(), bytes.size(), &out), "predict");
                    digit = p.class_index;
                },
                o.min_time, 10);
            const std::string extra = threads + ", \"image\": \"" + sbs::json_escape(path) +
                                      "\", \"digit\": " + std::to_string(digit);
            sbs::emit(impl, "e2e", extra, e2e);
            std::vector<uint8_t> image(std::size_t(info.input_height) * info.input_width);
            const sbs::Stats pre = sbs::measure(
                [&] {
                    check(di_model_preprocess_encoded(model, bytes.data(), bytes.size(), image.data(), image.size(),
                                                      nullptr, 0),
                          "preprocess");
                },
                o.min_time / 2, 10);
            sbs::emit(impl, "preprocess", threads + ", \"image\": \"" + sbs::json_escape(path) + "\"", pre);
        }
    } else if (o.mode == "forward") {
        for (std::size_t batch : o.batches) {
            std::vector<float> x = sbs::test_batch(batch, per_image);
            std::vector<di_prediction> preds(batch);
            di_outputs out = di_outputs_default();
            out.predictions = preds.data();
            const sbs::Stats s = sbs::measure(
                [&] { check(di_model_predict_tensor(model, x.data(), x.size(), batch, &out), "predict_tensor"); },
                o.min_time, batch >= 256 ? 5 : 10);
            sbs::emit(impl, "forward", threads + ", \"batch\": " + std::to_string(batch), s);
        }
    } else {
        std::fprintf(stderr, "unknown mode %s\n", o.mode.c_str());
        return 2;
    }
    di_model_free(model);
    return 0;
}
