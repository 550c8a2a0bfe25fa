#include "responses.hpp"

namespace server::api {

ApiError bad_request(const std::string &message) {
    return ApiError(status::bad_request, "BadRequestException", message);
}
ApiError model_not_found(const std::string &name) {
    return ApiError(status::not_found, "ModelNotFoundException", "Model not found: " + name);
}
ApiError version_not_found(const std::string &name, const std::string &version) {
    return ApiError(status::not_found, "ModelVersionNotFoundException",
                    "Model version: " + version + " does not exist for model: " + name);
}
ApiError resource_not_found() {
    return ApiError(status::not_found, "ResourceNotFoundException",
                    "Requested resource is not found, please refer to API document.");
}
ApiError method_not_allowed() {
    return ApiError(status::method_not_allowed, "MethodNotAllowedException",
                    "Requested method is not allowed, please refer to API document.");
}
ApiError service_unavailable(const std::string &message) {
    return ApiError(status::service_unavailable, "ServiceUnavailableException", message);
}

http::Response text_response(status code, std::string body, const char *content_type) {
    http::Response response(code, 11);
    response.set(http::beast_http::field::content_type, content_type);
    response.body() = std::move(body);
    response.prepare_payload();
    return response;
}

http::Response json_response(status code, const nlohmann::ordered_json &body) {
    // Bodies may quote request bytes (names, messages): replace invalid UTF-8 rather than throw.
    return text_response(code, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                         "application/json");
}

http::Response error_response(status code, const std::string &type, const std::string &message) {
    nlohmann::ordered_json body;
    body["code"] = static_cast<int>(code);
    body["type"] = type;
    body["message"] = message;
    return json_response(code, body);
}

http::Response oip_error_response(status code, const std::string &message) {
    return json_response(code, {{"error", message}});
}

http::Response error_response(const ApiError &error) { return error_response(error.code, error.type, error.what()); }

}  // namespace server::api
