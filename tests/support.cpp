#include "support.hpp"

#include <fstream>
#include <iterator>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace testing {

std::string repo_path(const std::string &relative) { return std::string(DIGITINFER_SOURCE_DIR) + "/" + relative; }

std::vector<uint8_t> read_bytes(const std::string &relative) {
    std::ifstream in(repo_path(relative), std::ios::binary);
    if (!in) throw std::runtime_error("test data missing: " + relative);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const std::vector<GoldenCase> &golden_cases() {
    static const std::vector<GoldenCase> cases = [] {
        std::ifstream in(repo_path("tests/data/golden.json"));
        if (!in) throw std::runtime_error("tests/data/golden.json missing: run tools/make_golden.py");
        const nlohmann::json root = nlohmann::json::parse(in);
        std::vector<GoldenCase> out;
        for (const auto &c : root.at("cases")) {
            GoldenCase g;
            g.image = c.at("image");
            g.model = c.at("model");
            g.mode = c.at("mode");
            g.format = c.at("format");
            g.lossless = c.at("lossless");
            g.digit = c.at("digit");
            g.probabilities = c.at("probabilities").get<std::vector<float>>();
            g.log_probabilities = c.at("log_probabilities").get<std::vector<float>>();
            g.preprocessed = c.at("preprocessed").get<std::vector<uint8_t>>();
            out.push_back(std::move(g));
        }
        return out;
    }();
    return cases;
}

}  // namespace testing
