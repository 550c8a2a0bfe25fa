// The 1.1 predict entry points: per-call options, versioned results,
// per-image statuses.
#include <string>

#include "predict_run.hpp"

using namespace digitinfer::core;

extern "C" {

di_predict_options di_predict_options_default(void) {
    di_predict_options o{};
    o.struct_size = sizeof(di_predict_options);
    return o;
}

di_results di_results_default(void) {
    di_results r{};
    r.struct_size = sizeof(di_results);
    return r;
}

di_status di_model_predict_encoded_ex(const di_model *model, const di_encoded_image *images, size_t count,
                                      const di_predict_options *opts, const di_results *results) {
    return run_predict(model, count, results, [&](const Pipeline &p, ItemOutcome *outcomes) {
        require(images, "images");
        return p.predict(images, count, call_threads(opts), outcomes);
    });
}

di_status di_model_predict_gray_ex(const di_model *model, const di_gray_image *images, size_t count,
                                   const di_predict_options *opts, const di_results *results) {
    return run_predict(model, count, results, [&](const Pipeline &p, ItemOutcome *outcomes) {
        require(images, "images");
        return p.predict(images, count, call_threads(opts), outcomes);
    });
}

di_status di_model_predict_tensor_ex(const di_model *model, const float *data, size_t num_floats, size_t count,
                                     const di_predict_options *opts, const di_results *results) {
    return run_predict(model, count, results, [&](const Pipeline &p, ItemOutcome *outcomes) {
        require(data, "data");
        check_tensor_floats(p, num_floats, count);
        return p.predict(data, count, call_threads(opts), outcomes);
    });
}

}  // extern "C"
