// UTC timestamps as the server writes them: key_file.json, describe's startTime, the access log.
#ifndef DIGITINFER_SERVER_LOGGING_ISO_TIME_HPP
#define DIGITINFER_SERVER_LOGGING_ISO_TIME_HPP

#include <chrono>
#include <string>

namespace server::logging {

/// "2026-12-02T00:40:00Z", or "2026-12-02T00:40:00.123Z" with milliseconds.
std::string iso_time(std::chrono::system_clock::time_point t, bool with_millis = false);

}  // namespace server::logging

#endif  // DIGITINFER_SERVER_LOGGING_ISO_TIME_HPP
