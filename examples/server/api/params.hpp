// Query parameters of a request, checked: one spelling of the error for every endpoint.
#ifndef DIGITINFER_SERVER_API_PARAMS_HPP
#define DIGITINFER_SERVER_API_PARAMS_HPP

#include <string>

#include "http/types.hpp"

namespace server::api {

/// Query parameter `key` as an integer in [low, high]; `fallback` when absent. Throws ApiError 400
/// ("KEY must be an integer in [LOW, HIGH], not 'TEXT'") otherwise.
int int_param(const http::Request &request, const std::string &key, int fallback, int low, int high);

}  // namespace server::api

#endif  // DIGITINFER_SERVER_API_PARAMS_HPP
