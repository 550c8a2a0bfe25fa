// di_status_string, di_last_error_message and the thread-local messages behind
// them: the call's, and each image's of a batch with per-image statuses.
#include <vector>

#include "enum_value.hpp"
#include "guard.hpp"
#include "predict_run.hpp"

namespace digitinfer::core {
namespace {
thread_local std::string last_error;
thread_local std::vector<ItemOutcome> item_outcomes;
}

std::vector<ItemOutcome> &thread_item_outcomes() { return item_outcomes; }

di_status set_error(di_status status, const std::string &message) noexcept {
    try {
        last_error = message;
    } catch (...) {
        last_error.clear();  // out of memory while reporting: keep the status at least
    }
    return status;
}

void clear_error() noexcept {
    last_error.clear();
    item_outcomes.clear();
}

}  // namespace digitinfer::core

extern "C" {

const char *di_status_string(di_status status) {
    switch (digitinfer::core::enum_value(status)) {
        case DI_OK: return "DI_OK";
        case DI_ERR_INVALID_ARGUMENT: return "DI_ERR_INVALID_ARGUMENT";
        case DI_ERR_IO: return "DI_ERR_IO";
        case DI_ERR_DECODE: return "DI_ERR_DECODE";
        case DI_ERR_MODEL: return "DI_ERR_MODEL";
        case DI_ERR_OUT_OF_MEMORY: return "DI_ERR_OUT_OF_MEMORY";
        case DI_ERR_BUFFER_TOO_SMALL: return "DI_ERR_BUFFER_TOO_SMALL";
        case DI_ERR_INFERENCE: return "DI_ERR_INFERENCE";
        case DI_ERR_INTERNAL: return "DI_ERR_INTERNAL";
    }
    return "DI_ERR_UNKNOWN";
}

const char *di_last_error_message(void) { return digitinfer::core::last_error.c_str(); }

}  // extern "C"
