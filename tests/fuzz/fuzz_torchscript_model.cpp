// libFuzzer target: untrusted TorchScript archive bytes through the public
// di_model_load_memory (the libtorch plugin: unzip, unpickle, the operator
// allow-list, the weight checks, graph_to_plan for the native engine, the
// load-time check forward under its time and memory limits), then, when the
// model loads, di_model_get_info and one predict.
//
// Expected for bad input: a documented error status with a message. Anything
// else — DI_ERR_INTERNAL, a crash, a sanitizer report, an info or a result out
// of range (api_checks.hpp), a hang (-timeout), too much memory — is a bug.
// Seeds: tests/fuzz/corpus/torchscript_model (make_torchscript_seeds.py) and the
// .pt files of tests/data/bad. Slow (libtorch parses and compiles each archive):
// see docs/robustness.md for its exec/s.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "api_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size) {
    di_load_options opts = di_load_options_default();
    opts.num_threads = 1;
    opts.cache_dir = "";                               // nothing written to disk
    opts.torch_time_limit_ms = 2000;                   // well inside libFuzzer's -timeout
    opts.torch_memory_limit_bytes = 256u << 20;        // well inside -rss_limit_mb
    di_model *model = nullptr;
    const di_status status = di_model_load_memory(data, size, &opts, &model);
    fuzz::check_status(status, "di_model_load_memory");
    // Without a working plugin every input is refused at once: nothing would be fuzzed. (Its
    // messages begin so, src/torch/plugin_loader.cpp; the archive's own names may say anything.)
    const char *message = di_last_error_message();
    if (status == DI_ERR_MODEL)
        for (const char *prefix : {"the libtorch plugin", "cannot load the libtorch plugin", "libtorch plugin "})
            if (std::strncmp(message, prefix, std::strlen(prefix)) == 0) fuzz::broken("di_model_load_memory", message);
    if (status != DI_OK) {
        if (model) fuzz::broken("di_model_load_memory", "failed but set *out");
        return 0;
    }
    if (!model) fuzz::broken("di_model_load_memory", "DI_OK without a model");

    di_model_info info = di_model_info_default();
    fuzz::check_status(di_model_get_info(model, &info), "di_model_get_info");
    if (info.input_channels < 1 || info.input_height < 1 || info.input_width < 1 || info.num_classes < 1)
        fuzz::broken("di_model_get_info", "a loaded model with an empty input or output");

    std::vector<uint8_t> pixels(28 * 28);
    for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = uint8_t(i * 7);
    const di_gray_image image = {pixels.data(), 28, 28, 28};
    di_prediction prediction{};
    std::vector<float> probabilities(std::size_t(info.num_classes));
    di_outputs out = di_outputs_default();
    out.predictions = &prediction;
    out.probabilities = probabilities.data();
    out.scores_capacity = probabilities.size();
    const di_status predicted = di_model_predict_gray(model, &image, &out);
    fuzz::check_status(predicted, "di_model_predict_gray");
    if (predicted == DI_OK) {
        fuzz::check_prediction(prediction, info.num_classes, "di_model_predict_gray");
        fuzz::check_probabilities(probabilities.data(), info.num_classes, "di_model_predict_gray");
    }
    di_model_free(model);
    return 0;
}
