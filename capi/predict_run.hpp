// What every predict entry point shares: argument checks, the per-image
// outcomes, and writing the log-probabilities the pipeline returns into the
// caller's arrays (the 1.0 di_outputs or the 1.1 di_results).
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/postprocess.hpp"
#include "core/scratch.hpp"
#include "guard.hpp"
#include "model_handle.hpp"
#include "versioned_struct.hpp"

namespace digitinfer::core {

// The calling thread's per-image outcomes of its last call (messages are borrowed from here).
std::vector<ItemOutcome> &thread_item_outcomes();

struct ResultArrays {
    di_prediction *predictions = nullptr;
    float *probabilities = nullptr;
    float *log_probabilities = nullptr;
    std::size_t scores_capacity = 0;
    di_status *statuses = nullptr;
    const char **messages = nullptr;
};

inline ResultArrays result_arrays(const di_outputs *out) {
    require(out, "out");
    return {out->predictions, out->probabilities, out->log_probabilities, out->scores_capacity, nullptr, nullptr};
}

inline ResultArrays result_arrays(const di_results *results) {
    require(results, "results");
    const di_results r = read_versioned(results, di_results_default(), "di_results");
    return {r.predictions, r.probabilities, r.log_probabilities, r.scores_capacity, r.statuses, r.messages};
}

inline int call_threads(const di_predict_options *opts) {
    const di_predict_options o = read_versioned(opts, di_predict_options_default(), "di_predict_options");
    if (o.num_threads < 0 || o.num_threads > 1024)
        fail(DI_ERR_INVALID_ARGUMENT, "num_threads " + std::to_string(o.num_threads) + " is out of range");
    return o.num_threads;
}

inline void check_tensor_floats(const Pipeline &p, std::size_t num_floats, std::size_t count) {
    if (num_floats != count * p.tensor_size())
        fail(DI_ERR_INVALID_ARGUMENT, "num_floats " + std::to_string(num_floats) + " != count x C x H x W = " +
                                          std::to_string(count * p.tensor_size()));
}

// Runs `predict(pipeline, outcomes)` (returning count x classes log-probabilities) and fills `out`.
template <class Out, class Predict>
di_status run_predict(const di_model *model, std::size_t count, const Out *out, Predict predict) {
    return guarded([&] {
        require_model(model);
        const ResultArrays arrays = result_arrays(out);
        if (count == 0) fail(DI_ERR_INVALID_ARGUMENT, "count is 0");
        if (count > DI_MAX_BATCH)
            fail(DI_ERR_INVALID_ARGUMENT, "count " + std::to_string(count) + " exceeds the batch limit " +
                                              std::to_string(DI_MAX_BATCH));
        const std::size_t classes = std::size_t(model->pipeline->num_classes());
        if ((arrays.probabilities || arrays.log_probabilities) && arrays.scores_capacity < count * classes)
            fail(DI_ERR_BUFFER_TOO_SMALL, "scores_capacity " + std::to_string(arrays.scores_capacity) + " < " +
                                              std::to_string(count * classes) + " floats needed (count x num_classes)");
        std::vector<ItemOutcome> &outcomes = thread_item_outcomes();
        if (arrays.statuses) outcomes.assign(count, ItemOutcome{});
        const float *logs = predict(*model->pipeline, arrays.statuses ? outcomes.data() : nullptr);
        constexpr float nan = std::numeric_limits<float>::quiet_NaN();
        for (std::size_t i = 0; i < count; ++i) {
            const bool ok = !arrays.statuses || outcomes[i].status == DI_OK;
            if (arrays.statuses) arrays.statuses[i] = outcomes[i].status;
            if (arrays.statuses && arrays.messages) arrays.messages[i] = outcomes[i].message.c_str();
            const float *row = &logs[i * classes];
            const int best = ok ? argmax(row, classes) : -1;
            if (arrays.predictions) arrays.predictions[i] = ok ? di_prediction{best, std::exp(row[best])} : di_prediction{-1, 0.0f};
            for (std::size_t k = 0; k < classes; ++k) {
                if (arrays.probabilities) arrays.probabilities[i * classes + k] = ok ? std::exp(row[k]) : nan;
                if (arrays.log_probabilities) arrays.log_probabilities[i * classes + k] = ok ? row[k] : nan;
            }
        }
        trim_thread_scratch();
    });
}

}  // namespace digitinfer::core
