// Request targets and listen addresses: the small part of URL syntax the server needs.
#ifndef DIGITINFER_SERVER_HTTP_URL_HPP
#define DIGITINFER_SERVER_HTTP_URL_HPP

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace server::http {

/// "%41+b" -> "A b" (with plus_is_space) ; nullopt for a malformed escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

struct Target {
    std::vector<std::string> segments;              ///< decoded, empty segments dropped
    std::multimap<std::string, std::string> query;  ///< decoded
};

/// Splits an origin-form target ("/a/b?x=1"); nullopt when it is not one or an escape is malformed.
std::optional<Target> parse_target(std::string_view target);

/// A listen address: "http://127.0.0.1:8080", "127.0.0.1:8080", "0.0.0.0:0", "http://[::1]:8080".
struct Address {
    std::string host;
    uint16_t port = 0;
    std::string text() const;  ///< "host:port", IPv6 bracketed
};

/// Throws std::invalid_argument naming what is wrong (https is refused: no TLS here).
Address parse_address(const std::string &text);

}  // namespace server::http

#endif  // DIGITINFER_SERVER_HTTP_URL_HPP
