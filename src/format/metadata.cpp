#include "format/metadata.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "common/failure.hpp"

namespace digitinfer::core {
namespace {

using nlohmann::json;

constexpr double kMaxNormalization = 1e6;  // |mean| and |std| at most
constexpr double kMinStd = 1e-6;           // |std| at least

[[noreturn]] void bad(const std::string &what) { fail(DI_ERR_MODEL, std::string(kMetadataFile) + ": " + what); }

int dimension(const json &input, const char *key, int fallback) {
    if (!input.contains(key)) return fallback;
    const json &v = input.at(key);
    if (!v.is_number_integer() || v.get<long long>() < 1 || v.get<long long>() > 4096)
        bad(std::string("input.") + key + " must be an integer in [1, 4096]");
    return v.get<int>();
}

// mean/std may be a number or a one-element list (torchvision's form), of
// magnitude at most 1e6 (std: and at least 1e-6). Pixels are in [0, 1] when
// normalized: real models use a mean in [0, 1] (or on a 0-255 scale) and a std
// of 0.1-0.5 (or 255). Within these bounds the float32 mean and std are finite
// and normal and normalized pixels stay below 2e12; outside them 1e300 is inf
// as a float32 and 1e-45 a denormal whose reciprocal is inf.
float scalar(const json &root, const char *key, float fallback, bool nonzero) {
    if (!root.contains(key)) return fallback;
    json v = root.at(key);
    if (v.is_array() && v.size() == 1) v = v[0];
    const double magnitude = v.is_number() ? std::fabs(v.get<double>()) : NAN;
    if (!(magnitude <= kMaxNormalization && (!nonzero || magnitude >= kMinStd)))
        bad(std::string(key) + (nonzero ? " must be a number whose magnitude is in [1e-6, 1e6]"
                                        : " must be a number in [-1e6, 1e6]"));
    return v.get<float>();
}

di_output_kind output_kind(const std::string &s) {
    const auto kind = output_kind_from_name(s);
    if (!kind || *kind == DI_OUTPUT_AUTO)
        bad("output must be \"log_probabilities\", \"logits\" or \"probabilities\", not \"" + s + "\"");
    return *kind;
}

}  // namespace

const char *output_kind_name(di_output_kind kind) {
    switch (kind) {
        case DI_OUTPUT_AUTO: return "auto";
        case DI_OUTPUT_LOG_PROBABILITIES: return "log_probabilities";
        case DI_OUTPUT_LOGITS: return "logits";
        case DI_OUTPUT_PROBABILITIES: return "probabilities";
        case DI_OUTPUT_MAX_ENUM: break;
    }
    return nullptr;
}

std::optional<di_output_kind> output_kind_from_name(const std::string &name) {
    for (di_output_kind k : {DI_OUTPUT_AUTO, DI_OUTPUT_LOG_PROBABILITIES, DI_OUTPUT_LOGITS, DI_OUTPUT_PROBABILITIES})
        if (name == output_kind_name(k)) return k;
    if (name == "log_softmax") return DI_OUTPUT_LOG_PROBABILITIES;
    if (name == "softmax") return DI_OUTPUT_PROBABILITIES;
    return std::nullopt;
}

Metadata parse_metadata(const std::string &text) {
    Metadata m;
    m.present = true;
    json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!root.is_object()) bad("not a JSON object");
    try {
        if (root.contains("name")) m.name = root.at("name").get<std::string>();
        if (root.contains("input")) {
            const json &input = root.at("input");
            if (!input.is_object()) bad("input must be an object");
            m.channels = dimension(input, "channels", m.channels);
            m.height = dimension(input, "height", m.height);
            m.width = dimension(input, "width", m.width);
        }
        m.mean = scalar(root, "mean", m.mean, false);
        m.std = scalar(root, "std", m.std, true);
        if (root.contains("labels")) m.labels = root.at("labels").get<std::vector<std::string>>();
        if (root.contains("output")) m.output = output_kind(root.at("output").get<std::string>());
    } catch (const json::exception &e) {
        bad(e.what());
    }
    return m;
}

}  // namespace digitinfer::core
