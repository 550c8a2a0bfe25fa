// Float-to-JSON without noise: 0.9987f becomes 0.9987, not 0.9987000226974487.
#ifndef DIGITINFER_EXAMPLES_JSON_NUMBER_HPP
#define DIGITINFER_EXAMPLES_JSON_NUMBER_HPP

#include <charconv>
#include <cstdlib>
#include <vector>

namespace common {

/// The double whose shortest decimal form is the float's shortest decimal form.
inline double json_number(float value) {
    char text[32];
    const auto result = std::to_chars(text, text + sizeof text - 1, value);
    *result.ptr = '\0';
    return std::strtod(text, nullptr);
}

inline std::vector<double> json_numbers(const std::vector<float> &values) {
    std::vector<double> out;
    out.reserve(values.size());
    for (float v : values) out.push_back(json_number(v));
    return out;
}

}  // namespace common

#endif  // DIGITINFER_EXAMPLES_JSON_NUMBER_HPP
