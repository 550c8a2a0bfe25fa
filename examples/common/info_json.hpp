// The JSON description of a loaded model, as `digitinfer info --json` prints it
// and a server's info endpoint returns it.
#ifndef DIGITINFER_EXAMPLES_INFO_JSON_HPP
#define DIGITINFER_EXAMPLES_INFO_JSON_HPP

#include <string>

#include <digitinfer/digitinfer.hpp>
#include <nlohmann/json.hpp>

namespace common {

/// "model" (the path), then every ModelInfo field (engine and output kind by name), then the
/// library and header versions.
nlohmann::ordered_json info_json(const std::string &path, const digitinfer::ModelInfo &info);

}  // namespace common

#endif  // DIGITINFER_EXAMPLES_INFO_JSON_HPP
