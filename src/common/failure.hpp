// The library's internal exception: a C API status plus a message.
// Every C entry point converts it back into (status, di_last_error_message()).
#pragma once

#include <stdexcept>
#include <string>

#include "digitinfer/digitinfer.h"

namespace digitinfer::core {

class Failure : public std::runtime_error {
public:
    Failure(di_status status, const std::string &message) : std::runtime_error(message), status_(status) {}
    di_status status() const noexcept { return status_; }

private:
    di_status status_;
};

[[noreturn]] inline void fail(di_status status, const std::string &message) { throw Failure(status, message); }

}  // namespace digitinfer::core
