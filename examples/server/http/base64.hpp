// RFC 4648 base64, for the Open Inference Protocol's BYTES elements in JSON.
#ifndef DIGITINFER_SERVER_HTTP_BASE64_HPP
#define DIGITINFER_SERVER_HTTP_BASE64_HPP

#include <optional>
#include <string>
#include <string_view>

namespace server::http {

/// Decodes standard base64 (padding optional, no whitespace); nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace server::http

#endif  // DIGITINFER_SERVER_HTTP_BASE64_HPP
