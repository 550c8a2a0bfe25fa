// Shared helpers of the test suite: repository paths, file bytes, golden cases.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace testing {

// Absolute path of a file given relative to the repository root.
std::string repo_path(const std::string &relative);
std::vector<uint8_t> read_bytes(const std::string &relative);

// One case of tests/data/golden.json, produced by tools/make_golden.py.
struct GoldenCase {
    std::string image, model, mode, format;
    bool lossless = true;
    int digit = -1;
    std::vector<float> probabilities, log_probabilities;
    std::vector<uint8_t> preprocessed;
};
const std::vector<GoldenCase> &golden_cases();

inline const char *kTracedModel = "models/convnet.traced.pt";
inline const char *kScriptedModel = "models/convnet.scripted.pt";

}  // namespace testing
