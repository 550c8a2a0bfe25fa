#include "params.hpp"

#include <cstdlib>

#include "responses.hpp"

namespace server::api {

int int_param(const http::Request &request, const std::string &key, int fallback, int low, int high) {
    const std::string *text = request.param(key);
    if (!text) return fallback;
    char *end = nullptr;
    const long value = std::strtol(text->c_str(), &end, 10);
    if (text->empty() || *end != '\0' || value < low || value > high)
        throw bad_request(key + " must be an integer in [" + std::to_string(low) + ", " + std::to_string(high) +
                          "], not '" + *text + "'");
    return int(value);
}

}  // namespace server::api
