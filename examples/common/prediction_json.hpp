// The JSON object of one image's result, as `digitinfer predict --json` prints it
// and a server returns it: one schema for every program.
#ifndef DIGITINFER_EXAMPLES_PREDICTION_JSON_HPP
#define DIGITINFER_EXAMPLES_PREDICTION_JSON_HPP

#include <cstddef>
#include <string>
#include <vector>

#include <digitinfer/digitinfer.hpp>
#include <nlohmann/json.hpp>

namespace common {

/// `fields` (e.g. {"path": ...}) followed by "digit", "label", "probability", "probabilities"
/// and, when top_k > 0, "top_k": [{"digit", "label", "probability"}...]. `labels` are the
/// model's (ModelInfo::labels).
nlohmann::ordered_json prediction_json(const digitinfer::Prediction &prediction,
                                       const std::vector<std::string> &labels, std::size_t top_k,
                                       nlohmann::ordered_json fields = nlohmann::ordered_json::object());

/// `fields` followed by "status" (e.g. "DI_ERR_DECODE") and "error" (the message), for an image
/// that failed.
nlohmann::ordered_json error_json(di_status status, const std::string &message,
                                  nlohmann::ordered_json fields = nlohmann::ordered_json::object());

}  // namespace common

#endif  // DIGITINFER_EXAMPLES_PREDICTION_JSON_HPP
