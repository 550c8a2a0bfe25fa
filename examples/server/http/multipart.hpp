// multipart/form-data (RFC 7578) bodies: what `requests.post(files=...)`, curl -F
// and browsers send. The parts are views into the request body: no copies.
#ifndef DIGITINFER_SERVER_HTTP_MULTIPART_HPP
#define DIGITINFER_SERVER_HTTP_MULTIPART_HPP

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace server::http {

struct Part {
    std::string name;          ///< Content-Disposition name="..."
    std::string filename;      ///< filename="...", or ""
    std::string content_type;  ///< the part's Content-Type, or ""
    std::string_view body;
};

/// The boundary of a "multipart/form-data; boundary=..." Content-Type; nullopt for other types.
std::optional<std::string> multipart_boundary(std::string_view content_type);

/// The parts of `body`; throws std::invalid_argument saying what is malformed. At most `max_parts`.
std::vector<Part> parse_multipart(std::string_view body, const std::string &boundary, size_t max_parts = 64);

/// The first part called `name`, or nullptr.
const Part *find_part(const std::vector<Part> &parts, std::string_view name);

}  // namespace server::http

#endif  // DIGITINFER_SERVER_HTTP_MULTIPART_HPP
