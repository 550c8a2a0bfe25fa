#include "iso_time.hpp"

#include <cstdio>
#include <ctime>

namespace server::logging {

std::string iso_time(std::chrono::system_clock::time_point t, bool with_millis) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[40];
    const size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    if (with_millis) {
        const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
        std::snprintf(text + n, sizeof text - n, ".%03dZ", int(millis));
    } else {
        std::snprintf(text + n, sizeof text - n, "Z");
    }
    return text;
}

}  // namespace server::logging
