// The structured access log: one JSON object per answered request.
#ifndef DIGITINFER_SERVER_LOGGING_ACCESS_LOG_HPP
#define DIGITINFER_SERVER_LOGGING_ACCESS_LOG_HPP

#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "http/service.hpp"

namespace server::logging {

class AccessLog {
public:
    /// `destination`: a file path (appended to), or "-" for standard output.
    explicit AccessLog(const std::string &destination);
    void write(const http::Completed &done);
    void flush();

private:
    std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace server::logging

#endif  // DIGITINFER_SERVER_LOGGING_ACCESS_LOG_HPP
