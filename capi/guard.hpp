// Exception firewall and per-thread error message of the C API.
#pragma once

#include <new>
#include <string>

#include "digitinfer/digitinfer.h"
#include "common/failure.hpp"

namespace digitinfer::core {

// Stores `message` as the calling thread's last error and returns `status`.
di_status set_error(di_status status, const std::string &message) noexcept;
void clear_error() noexcept;

// Runs `body` with the thread's error cleared; maps every exception to a status.
template <class Body>
di_status guarded(Body &&body) noexcept {
    clear_error();
    try {
        body();
        return DI_OK;
    } catch (const Failure &e) {
        return set_error(e.status(), e.what());
    } catch (const std::bad_alloc &) {
        return set_error(DI_ERR_OUT_OF_MEMORY, "out of memory");
    } catch (const std::exception &e) {
        return set_error(DI_ERR_INTERNAL, std::string("internal error: ") + e.what());
    } catch (...) {
        return set_error(DI_ERR_INTERNAL, "internal error: unknown exception");
    }
}

// Throws Failure(DI_ERR_INVALID_ARGUMENT) when `pointer` is NULL.
inline void require(const void *pointer, const char *name) {
    if (!pointer) fail(DI_ERR_INVALID_ARGUMENT, std::string(name) + " is NULL");
}

}  // namespace digitinfer::core
