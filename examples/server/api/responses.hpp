// Building responses, and the one error type every handler throws: an ApiError
// becomes TorchServe's error body {"code", "type", "message"} with its status.
#ifndef DIGITINFER_SERVER_API_RESPONSES_HPP
#define DIGITINFER_SERVER_API_RESPONSES_HPP

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "http/types.hpp"

namespace server::api {

using http::beast_http::status;

struct ApiError : std::runtime_error {
    ApiError(status code, std::string type, const std::string &message)
        : std::runtime_error(message), code(code), type(std::move(type)) {}
    status code;
    std::string type;  ///< e.g. "ModelNotFoundException"
};

ApiError bad_request(const std::string &message);       ///< 400 BadRequestException
ApiError model_not_found(const std::string &name);      ///< 404 ModelNotFoundException
ApiError version_not_found(const std::string &name, const std::string &version);  ///< 404
ApiError resource_not_found();                          ///< 404 ResourceNotFoundException
ApiError method_not_allowed();                          ///< 405 MethodNotAllowedException
ApiError service_unavailable(const std::string &message);  ///< 503 ServiceUnavailableException

http::Response json_response(status code, const nlohmann::ordered_json &body);
http::Response text_response(status code, std::string body, const char *content_type = "text/plain");
/// {"code": N, "type": ..., "message": ...}
http::Response error_response(const ApiError &error);
/// The same for the statuses the HTTP layer answers itself (400, 408, 413, 503).
http::Response error_response(status code, const std::string &type, const std::string &message);
/// The Open Inference Protocol's error shape: {"error": "..."}.
http::Response oip_error_response(status code, const std::string &message);

}  // namespace server::api

#endif  // DIGITINFER_SERVER_API_RESPONSES_HPP
