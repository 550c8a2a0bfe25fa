// libFuzzer target: untrusted .onnx bytes through the public API, as a program
// loading a user's file would: di_model_load_memory (the importer in src/onnx,
// then the engine's plan checks), and, when the model loads, one prediction on a
// zero tensor of its input shape.
//
// Expected outcome for bad input: a status other than DI_OK, with a message. A
// crash, a sanitizer report, a hang (-timeout) or a blown memory budget
// (-rss_limit_mb) is a bug. Models with more than kMaxInputs input floats are
// loaded but not run: their cost is their size, not a bug.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <digitinfer/digitinfer.h>

namespace {

constexpr std::size_t kMaxInputs = std::size_t(1) << 16;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size) {
    di_load_options options = di_load_options_default();
    options.num_threads = 1;
    options.cache_dir = "";  // no compiled-model cache
    di_model *model = nullptr;
    const di_status status = di_model_load_memory(data, size, &options, &model);
    if (status != DI_OK) {
        if (model || !di_last_error_message()[0]) {  // a refusal leaves no model and says why
            std::fprintf(stderr, "refused (%s) without a message, or with a model\n", di_status_string(status));
            std::abort();
        }
        return 0;
    }
    di_model_info info = di_model_info_default();
    if (di_model_get_info(model, &info) != DI_OK) std::abort();
    const std::size_t inputs = std::size_t(info.input_channels) * std::size_t(info.input_height) *
                               std::size_t(info.input_width);
    if (inputs > 0 && inputs <= kMaxInputs) {
        std::vector<float> tensor(inputs, 0.0f);
        di_prediction prediction;
        di_outputs out = di_outputs_default();
        out.predictions = &prediction;
        di_model_predict_tensor(model, tensor.data(), tensor.size(), 1, &out);  // any status; no crash
    }
    di_model_free(model);
    return 0;
}
