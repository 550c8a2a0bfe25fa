// Java .properties files, as TorchServe's config.properties: "key=value" or
// "key: value" lines, "#" and "!" comments, "\" continues a line.
#ifndef DIGITINFER_SERVER_OPTIONS_PROPERTIES_HPP
#define DIGITINFER_SERVER_OPTIONS_PROPERTIES_HPP

#include <string>
#include <utility>
#include <vector>

namespace server::options {

/// The key/value pairs of `path` in file order; throws std::runtime_error if it cannot be read.
std::vector<std::pair<std::string, std::string>> read_properties(const std::string &path);

}  // namespace server::options

#endif  // DIGITINFER_SERVER_OPTIONS_PROPERTIES_HPP
