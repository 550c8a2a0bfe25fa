#include "prediction_json.hpp"

#include <utility>

#include "json_number.hpp"

namespace common {

nlohmann::ordered_json prediction_json(const digitinfer::Prediction &p, const std::vector<std::string> &labels,
                                       std::size_t top_k, nlohmann::ordered_json fields) {
    nlohmann::ordered_json j = std::move(fields);
    j["digit"] = p.digit;
    j["label"] = labels.at(std::size_t(p.digit));
    j["probability"] = json_number(p.probability());
    j["probabilities"] = json_numbers(p.probabilities);
    if (top_k) {
        nlohmann::ordered_json ranked = nlohmann::ordered_json::array();
        for (const auto &r : p.top_k(top_k))
            ranked.push_back({{"digit", r.index},
                              {"label", labels.at(std::size_t(r.index))},
                              {"probability", json_number(r.probability)}});
        j["top_k"] = std::move(ranked);
    }
    return j;
}

nlohmann::ordered_json error_json(di_status status, const std::string &message, nlohmann::ordered_json fields) {
    nlohmann::ordered_json j = std::move(fields);
    j["status"] = di_status_string(status);
    j["error"] = message;
    return j;
}

}  // namespace common
