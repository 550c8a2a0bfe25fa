#include "url.hpp"

#include <charconv>
#include <stdexcept>

namespace server::http {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) return std::nullopt;
            const int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else {
            out.push_back(plus_is_space && c == '+' ? ' ' : c);
        }
    }
    return out;
}

std::optional<Target> parse_target(std::string_view target) {
    if (target.empty() || target.front() != '/') return std::nullopt;
    Target out;
    const size_t question = target.find('?');
    const std::string_view path = target.substr(0, question);
    for (size_t start = 1; start <= path.size();) {
        size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        if (end > start) {
            auto segment = percent_decode(path.substr(start, end - start), false);
            if (!segment) return std::nullopt;
            out.segments.push_back(std::move(*segment));
        }
        start = end + 1;
    }
    if (question == std::string_view::npos) return out;
    std::string_view query = target.substr(question + 1);
    while (!query.empty()) {
        const size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        if (!pair.empty()) {
            const size_t eq = pair.find('=');
            auto key = percent_decode(pair.substr(0, eq), true);
            auto value = eq == std::string_view::npos ? std::optional<std::string>("")
                                                      : percent_decode(pair.substr(eq + 1), true);
            if (!key || !value) return std::nullopt;
            out.query.emplace(std::move(*key), std::move(*value));
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return out;
}

std::string Address::text() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Address parse_address(const std::string &text) {
    std::string_view rest = text;
    if (rest.rfind("https://", 0) == 0)
        throw std::invalid_argument("'" + text + "': https is not served (put a TLS proxy in front)");
    if (rest.rfind("http://", 0) == 0) rest.remove_prefix(7);
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    Address address;
    size_t colon;
    if (!rest.empty() && rest.front() == '[') {
        const size_t close = rest.find(']');
        if (close == std::string_view::npos) throw std::invalid_argument("'" + text + "': unclosed '['");
        address.host = std::string(rest.substr(1, close - 1));
        colon = close + 1;
        if (colon >= rest.size() || rest[colon] != ':') throw std::invalid_argument("'" + text + "': no port");
    } else {
        colon = rest.rfind(':');
        if (colon == std::string_view::npos) throw std::invalid_argument("'" + text + "': no port");
        address.host = std::string(rest.substr(0, colon));
    }
    const std::string_view port = rest.substr(colon + 1);
    unsigned value = 0;
    const auto parsed = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || parsed.ec != std::errc() || parsed.ptr != port.data() + port.size() || value > 65535)
        throw std::invalid_argument("'" + text + "': bad port '" + std::string(port) + "'");
    if (address.host.empty()) throw std::invalid_argument("'" + text + "': no host");
    address.port = static_cast<uint16_t>(value);
    return address;
}

}  // namespace server::http
