// Shared helpers of the test suite: repository paths, file bytes, golden values.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace testing {

// Absolute path of a file given relative to the repository root.
std::string repo_path(const std::string &relative);
std::vector<uint8_t> read_bytes(const std::string &relative);

// tests/data/golden.json is produced by tools/make_golden.py; see there for its contents.

// One image with one model: what Pillow + torchvision + torch.jit give.
struct GoldenCase {
    std::string image, model, mode, format;  // mode and format as Pillow names them
    int width = 0, height = 0;               // the image's own size
    bool lossless = true;
    int digit = -1;
    std::vector<float> probabilities, log_probabilities;
    std::vector<uint8_t> preprocessed;  // the model's H x W uint8 input image
};
const std::vector<GoldenCase> &golden_cases();

// A model of the golden cases: input shape, and torchvision's normalized float32 value for each
// uint8 value (to_tensor then normalize with the model's mean and std).
struct GoldenModel {
    int channels = 0, height = 0, width = 0;
    std::vector<float> normalize_table;  // 256 entries
};
const GoldenModel &golden_model(const std::string &path);

// An image that is not committed: its pixels come from synthetic_pixels().
struct SyntheticCase {
    std::string pattern, mode, model;
    int width = 0, height = 0;
    uint32_t seed = 0;
    int digit = -1;
    std::vector<float> probabilities, log_probabilities;
    std::vector<uint8_t> preprocessed;
};
const std::vector<SyntheticCase> &golden_synthetic();

// A file that Pillow reads and the library refuses (tests/data/unsupported).
struct UnsupportedFile {
    std::string image, format, mode;
};
const std::vector<UnsupportedFile> &golden_unsupported();

// Channels of a synthetic image's mode: L 1, LA 2, RGB 3, RGBA 4.
int mode_channels(const std::string &mode);
// Interleaved 8-bit samples (rows packed) of a synthetic image, by the formulas of
// tools/make_golden.py: patterns "noise", "gradient", "digit", "noisydigit".
std::vector<uint8_t> synthetic_pixels(const std::string &pattern, int width, int height, const std::string &mode,
                                      uint32_t seed);

// How many of two equal-sized images' pixels differ.
inline int differing_pixels(const std::vector<uint8_t> &a, const std::vector<uint8_t> &b) {
    int n = 0;
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) n += a[i] != b[i];
    return n + int(a.size() > b.size() ? a.size() - b.size() : b.size() - a.size());
}

// How many floats of a C x H x W tensor differ, in their bits, from table[image[i]] (the
// H x W image repeated in every channel).
inline int differing_tensor_bits(const std::vector<float> &tensor, const std::vector<uint8_t> &image,
                                 const std::vector<float> &table) {
    if (image.empty() || tensor.size() % image.size() != 0) return int(tensor.size()) + 1;
    int n = 0;
    for (std::size_t i = 0; i < tensor.size(); ++i) {
        uint32_t got = 0, want = 0;
        std::memcpy(&got, &tensor[i], sizeof got);
        std::memcpy(&want, &table.at(image[i % image.size()]), sizeof want);
        n += got != want;
    }
    return n;
}

inline const char *kTracedModel = "models/convnet.traced.pt";
inline const char *kScriptedModel = "models/convnet.scripted.pt";
inline const char *kDefaultModel = kScriptedModel;  // the one every golden image runs with
// Layers the native engine does not implement (upsampling, layer norm): loads on libtorch.
inline const char *kUnsupportedModel = "tests/data/zoo/unsupported_upsample_layernorm.traced.pt";
inline const char *kCompiledModel = "models/convnet.dimodel";

// Builds without the torch plugin (DIGITINFER_WITH_TORCH=OFF) run the tests not
// tagged [torch], with the shipped TorchScript models stood in for by their
// compiled .dimodel, which predicts as they do on the native engine (the torch
// build checks that: [native_file]); golden cases of other TorchScript models
// are left out there. With the plugin, stand_in(path) is path.
#ifdef DIGITINFER_TESTS_WITHOUT_TORCH
inline constexpr bool kWithTorch = false;
#else
inline constexpr bool kWithTorch = true;
#endif
std::string stand_in(const std::string &model);
bool model_available(const std::string &model);

}  // namespace testing
