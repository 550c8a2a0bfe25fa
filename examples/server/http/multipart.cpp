#include "multipart.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace server::http {
namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// The value of `key` among "; key=value" or '; key="value"' parameters, or nullopt.
std::optional<std::string> header_parameter(std::string_view header, std::string_view key) {
    size_t pos = header.find(';');
    while (pos != std::string_view::npos) {
        std::string_view rest = trim(header.substr(pos + 1));
        const size_t eq = rest.find('=');
        if (eq == std::string_view::npos) return std::nullopt;
        const std::string name = lower(trim(rest.substr(0, eq)));
        rest = trim(rest.substr(eq + 1));
        std::string value;
        size_t consumed;
        if (!rest.empty() && rest.front() == '"') {
            size_t i = 1;
            for (; i < rest.size() && rest[i] != '"'; ++i) {
                if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
                value.push_back(rest[i]);
            }
            if (i >= rest.size()) return std::nullopt;  // unterminated quote
            consumed = i + 1;
        } else {
            consumed = std::min(rest.find(';'), rest.size());
            value = std::string(trim(rest.substr(0, consumed)));
        }
        if (name == key) return value;
        const size_t next = rest.find(';', consumed);
        if (next == std::string_view::npos) return std::nullopt;
        header = rest.substr(next);
        pos = 0;
    }
    return std::nullopt;
}

void parse_part_headers(std::string_view headers, Part &part) {
    bool disposition = false;
    while (!headers.empty()) {
        const size_t end = std::min(headers.find("\r\n"), headers.size());
        const std::string_view line = headers.substr(0, end);
        headers.remove_prefix(std::min(end + 2, headers.size()));
        const size_t colon = line.find(':');
        if (colon == std::string_view::npos) throw std::invalid_argument("multipart: a part header has no ':'");
        const std::string name = lower(trim(line.substr(0, colon)));
        const std::string_view value = trim(line.substr(colon + 1));
        if (name == "content-disposition") {
            if (lower(value.substr(0, 9)) != "form-data")
                throw std::invalid_argument("multipart: a part's Content-Disposition is not form-data");
            const auto field = header_parameter(value, "name");
            if (!field) throw std::invalid_argument("multipart: a part has no name");
            part.name = *field;
            part.filename = header_parameter(value, "filename").value_or("");
            disposition = true;
        } else if (name == "content-type") {
            part.content_type = std::string(value);
        }
    }
    if (!disposition) throw std::invalid_argument("multipart: a part has no Content-Disposition");
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
    const std::string type = lower(trim(content_type.substr(0, content_type.find(';'))));
    if (type != "multipart/form-data") return std::nullopt;
    auto boundary = header_parameter(content_type, "boundary");
    if (!boundary || boundary->empty() || boundary->size() > 200) return std::nullopt;
    return boundary;
}

std::vector<Part> parse_multipart(std::string_view body, const std::string &boundary, size_t max_parts) {
    const std::string delimiter = "--" + boundary;
    const std::string next_delimiter = "\r\n" + delimiter;
    std::vector<Part> parts;
    // The first delimiter may follow a preamble; it then starts a line.
    size_t pos;
    if (body.rfind(delimiter, 0) == 0) {
        pos = delimiter.size();
    } else {
        pos = body.find(next_delimiter);
        if (pos == std::string_view::npos) throw std::invalid_argument("multipart: no boundary line in the body");
        pos += next_delimiter.size();
    }
    for (;;) {
        if (body.compare(pos, 2, "--") == 0) return parts;  // the closing delimiter
        while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;  // transport padding
        if (body.compare(pos, 2, "\r\n") != 0) throw std::invalid_argument("multipart: malformed boundary line");
        pos += 2;
        const size_t headers_end = body.find("\r\n\r\n", pos);
        const size_t content_end = body.find(next_delimiter, pos);
        if (content_end == std::string_view::npos)
            throw std::invalid_argument("multipart: the body ends before the closing boundary");
        if (parts.size() == max_parts) throw std::invalid_argument("multipart: too many parts");
        Part part;
        size_t content_start;
        if (body.compare(pos, 2, "\r\n") == 0) {  // a part without headers
            content_start = pos + 2;
        } else {
            if (headers_end == std::string_view::npos || headers_end > content_end)
                throw std::invalid_argument("multipart: a part's headers do not end");
            parse_part_headers(body.substr(pos, headers_end - pos), part);
            content_start = headers_end + 4;
        }
        if (part.name.empty()) throw std::invalid_argument("multipart: a part has no Content-Disposition name");
        part.body = body.substr(content_start, content_end - content_start);
        parts.push_back(std::move(part));
        pos = content_end + next_delimiter.size();
    }
}

const Part *find_part(const std::vector<Part> &parts, std::string_view name) {
    for (const Part &part : parts)
        if (part.name == name) return &part;
    return nullptr;
}

}  // namespace server::http
