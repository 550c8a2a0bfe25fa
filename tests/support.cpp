#include "support.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace testing {

std::string repo_path(const std::string &relative) { return std::string(DIGITINFER_SOURCE_DIR) + "/" + relative; }

std::vector<uint8_t> read_bytes(const std::string &relative) {
    std::ifstream in(repo_path(relative), std::ios::binary);
    if (!in) throw std::runtime_error("test data missing: " + relative);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

namespace {

const nlohmann::json &golden_json() {
    static const nlohmann::json root = [] {
        std::ifstream in(repo_path("tests/data/golden.json"));
        if (!in) throw std::runtime_error("tests/data/golden.json missing: run tools/make_golden.py");
        return nlohmann::json::parse(in);
    }();
    return root;
}

// Fields a golden case and a synthetic image share.
template <class Case>
void read_outcome(const nlohmann::json &c, Case &g) {
    g.model = c.at("model");
    g.digit = c.at("digit");
    // float32 values stored as decimals that read back as the same float32
    g.probabilities = c.at("probabilities").get<std::vector<float>>();
    g.log_probabilities = c.at("log_probabilities").get<std::vector<float>>();
    g.preprocessed = c.at("preprocessed").get<std::vector<uint8_t>>();
}

}  // namespace

std::string stand_in(const std::string &model) {
    if (!kWithTorch && (model == kTracedModel || model == kScriptedModel)) return kCompiledModel;
    return model;
}

bool model_available(const std::string &model) {
    const std::string m = stand_in(model);
    return kWithTorch || (m.size() >= 8 && m.compare(m.size() - 8, 8, ".dimodel") == 0);
}

const std::vector<GoldenCase> &golden_cases() {
    static const std::vector<GoldenCase> cases = [] {
        std::vector<GoldenCase> out;
        for (const auto &c : golden_json().at("cases")) {
            GoldenCase g;
            g.image = c.at("image");
            g.mode = c.at("mode");
            g.format = c.at("format");
            g.width = c.at("width");
            g.height = c.at("height");
            g.lossless = c.at("lossless");
            read_outcome(c, g);
            if (model_available(g.model)) out.push_back(std::move(g));
        }
        return out;
    }();
    return cases;
}

const GoldenModel &golden_model(const std::string &path) {
    static const std::map<std::string, GoldenModel> models = [] {
        std::map<std::string, GoldenModel> out;
        for (const auto &[name, m] : golden_json().at("models").items()) {
            GoldenModel g;
            const auto shape = m.at("input").get<std::vector<int>>();
            g.channels = shape.at(0);
            g.height = shape.at(1);
            g.width = shape.at(2);
            // Each entry is a float32's exact value: double -> float is exact.
            g.normalize_table = m.at("normalize_table").get<std::vector<float>>();
            if (g.normalize_table.size() != 256) throw std::runtime_error("golden.json: bad normalize_table");
            out.emplace(name, std::move(g));
        }
        return out;
    }();
    const auto it = models.find(path);
    if (it == models.end()) throw std::runtime_error("golden.json: no model " + path);
    return it->second;
}

const std::vector<SyntheticCase> &golden_synthetic() {
    static const std::vector<SyntheticCase> cases = [] {
        std::vector<SyntheticCase> out;
        for (const auto &c : golden_json().at("synthetic")) {
            SyntheticCase g;
            g.pattern = c.at("pattern");
            g.mode = c.at("mode");
            g.width = c.at("width");
            g.height = c.at("height");
            g.seed = c.at("seed");
            read_outcome(c, g);
            if (model_available(g.model)) out.push_back(std::move(g));
        }
        return out;
    }();
    return cases;
}

const std::vector<UnsupportedFile> &golden_unsupported() {
    static const std::vector<UnsupportedFile> files = [] {
        std::vector<UnsupportedFile> out;
        for (const auto &c : golden_json().at("unsupported")) out.push_back({c.at("image"), c.at("format"), c.at("mode")});
        return out;
    }();
    return files;
}

// ------------------------------------------------------------------ synthetic images
// The formulas of tools/make_golden.py, in the same integer arithmetic.

namespace {

uint32_t lowbias32(uint32_t h) {
    h ^= h >> 16;
    h *= 0x7FEB352Du;
    h ^= h >> 15;
    h *= 0x846CA68Bu;
    return h ^ (h >> 16);
}

uint32_t hash32(uint32_t x, uint32_t y, uint32_t c, uint32_t seed) {
    return lowbias32(seed * 0x9E3779B1u + c * 0x27D4EB2Fu + x * 0x85EBCA77u + y * 0xC2B2AE3Du);
}

constexpr std::array<int, 4> kInk{250, 220, 90, 255}, kPaper{20, 30, 90, 110};
constexpr int X0 = 300, X1 = 700, Y0 = 180, YM = 500, Y1 = 820, T = 100;
struct Segment {
    int x_from, x_to, y_from, y_to;  // thousandths of the width / height, half-open
};
constexpr std::array<Segment, 7> kSegments{{
    {X0, X1, Y0, Y0 + T},                  // a
    {X1 - T, X1, Y0, YM + T / 2},          // b
    {X1 - T, X1, YM - T / 2, Y1},          // c
    {X0, X1, Y1 - T, Y1},                  // d
    {X0, X0 + T, YM - T / 2, Y1},          // e
    {X0, X0 + T, Y0, YM + T / 2},          // f
    {X0, X1, YM - T / 2, YM + T / 2},      // g
}};
constexpr std::array<const char *, 10> kDigitSegments{"abcdef", "bc",   "abdeg", "abcdg",   "bcfg",
                                                      "acdfg",  "acdefg", "abc", "abcdefg", "abcdfg"};

// Bit s set when the centre of pixel i (of n) lies in [from, to) thousandths on that axis.
std::vector<uint8_t> segment_bits(int n, bool x_axis) {
    std::vector<uint8_t> bits(std::size_t(n), 0);
    for (int i = 0; i < n; ++i) {
        const int64_t centre = 1000 * (2 * int64_t(i) + 1), twice = 2 * int64_t(n);
        for (std::size_t s = 0; s < kSegments.size(); ++s) {
            const int from = x_axis ? kSegments[s].x_from : kSegments[s].y_from;
            const int to = x_axis ? kSegments[s].x_to : kSegments[s].y_to;
            if (twice * from <= centre && centre < twice * to) bits[std::size_t(i)] |= uint8_t(1u << s);
        }
    }
    return bits;
}

}  // namespace

int mode_channels(const std::string &mode) {
    if (mode == "L") return 1;
    if (mode == "LA") return 2;
    if (mode == "RGB") return 3;
    if (mode == "RGBA") return 4;
    throw std::runtime_error("unknown synthetic mode " + mode);
}

std::vector<uint8_t> synthetic_pixels(const std::string &pattern, int width, int height, const std::string &mode,
                                      uint32_t seed) {
    const int n = mode_channels(mode);
    static const std::map<int, std::vector<uint32_t>> kChannels{{1, {0}}, {2, {0, 3}}, {3, {0, 1, 2}}, {4, {0, 1, 2, 3}}};
    const auto &channels = kChannels.at(n);
    enum { kNoise, kGradient, kDigit, kNoisyDigit } kind;
    if (pattern == "noise") kind = kNoise;
    else if (pattern == "gradient") kind = kGradient;
    else if (pattern == "digit") kind = kDigit;
    else if (pattern == "noisydigit") kind = kNoisyDigit;
    else throw std::runtime_error("unknown pattern " + pattern);
    uint8_t lit = 0;
    for (const char *s = kDigitSegments[seed % 10]; *s; ++s) lit |= uint8_t(1u << (*s - 'a'));
    const auto column_bits = segment_bits(width, true), row_bits = segment_bits(height, false);
    std::vector<uint8_t> out(std::size_t(width) * std::size_t(height) * std::size_t(n));
    std::size_t i = 0;
    for (uint32_t y = 0; y < uint32_t(height); ++y) {
        for (uint32_t x = 0; x < uint32_t(width); ++x) {
            const bool ink = (column_bits[x] & row_bits[y] & lit) != 0;
            for (uint32_t c : channels) {
                int v = 0;
                if (kind == kNoise) {
                    v = int(hash32(x, y, c, seed) >> 24);
                } else if (kind == kGradient) {
                    const int gx = int(int64_t(x) * 255 / std::max(width - 1, 1));
                    const int gy = int(int64_t(y) * 255 / std::max(height - 1, 1));
                    v = c == 0 ? (gx + gy) / 2 : c == 1 ? gx : c == 2 ? gy : 255 - (gx + gy) / 2;
                } else {
                    v = ink ? kInk[c] : kPaper[c];
                    if (kind == kNoisyDigit) v = std::clamp(v + int(hash32(x, y, c, seed) >> 27) - 16, 0, 255);
                }
                out[i++] = uint8_t(v);
            }
        }
    }
    return out;
}

}  // namespace testing
