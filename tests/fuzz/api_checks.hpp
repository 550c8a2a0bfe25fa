// What every C API call must give a fuzz target's input, whatever the input:
// a status of the header's list (never DI_ERR_INTERNAL, "a bug"), a message
// after a failure, and results in range after a success. A broken rule aborts,
// which libFuzzer reports with the input. For fuzz_c_api and fuzz_torchscript_model.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "digitinfer/digitinfer.h"

namespace fuzz {

[[noreturn]] inline void broken(const char *call, const char *what) {
    std::fprintf(stderr, "%s: contract broken: %s\n", call, what);
    std::abort();
}

// A documented status other than DI_ERR_INTERNAL (a per-image status of an *_ex call, too).
inline void check_status_value(di_status status, const char *call) {
    switch (status) {
    case DI_OK: case DI_ERR_INVALID_ARGUMENT: case DI_ERR_IO: case DI_ERR_DECODE: case DI_ERR_MODEL:
    case DI_ERR_OUT_OF_MEMORY: case DI_ERR_BUFFER_TOO_SMALL: case DI_ERR_INFERENCE: return;
    case DI_ERR_INTERNAL: broken(call, "DI_ERR_INTERNAL");
    default: broken(call, "a status the header does not list");
    }
}

// A call's status: documented, and after a failure a message in plain words.
inline void check_status(di_status status, const char *call) {
    static const bool trace = std::getenv("DI_FUZZ_TRACE") != nullptr;  // every call and its status
    const char *message = di_last_error_message();
    if (trace) std::fprintf(stderr, "%s -> %s: %s\n", call, di_status_string(status), message);
    if (status == DI_ERR_INTERNAL) std::fprintf(stderr, "%s\n", message);
    check_status_value(status, call);
    if (status != DI_OK && (!message || !*message)) broken(call, "failed without a message");
}

inline void check_prediction(const di_prediction &p, int classes, const char *call) {
    if (p.class_index < 0 || p.class_index >= classes) broken(call, "class_index out of range");
    if (!(p.probability >= 0.0f && p.probability <= 1.0f)) broken(call, "probability not in [0, 1]");
}

// One row of probabilities: finite, in [0, 1], summing to 1.
inline void check_probabilities(const float *row, int classes, const char *call) {
    double sum = 0;
    for (int k = 0; k < classes; ++k) {
        if (!(row[k] >= 0.0f && row[k] <= 1.0f)) broken(call, "a probability not in [0, 1]");
        sum += row[k];
    }
    if (std::fabs(sum - 1.0) > 1e-3) broken(call, "probabilities do not sum to 1");
}

}  // namespace fuzz
