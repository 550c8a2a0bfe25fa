// Parity on images too large or too odd to commit (1x500, 4000x3, 3000x3000, ...): their pixels
// are regenerated from the formulas of tools/make_golden.py (tests/support.cpp), written as a
// lossless PNG with stb_image_write, and run through the public API; golden.json holds only
// what Pillow + torchvision + torch.jit make of them.
#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <utility>

#include "digitinfer/digitinfer.hpp"
#include "shared_model.hpp"
#include "support.hpp"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STBI_WRITE_NO_STDIO
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif
#include <stb/stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace {


// An 8-bit PNG of interleaved samples: gray, gray+alpha, RGB or RGBA by the channel count.
std::vector<uint8_t> encode_png(const std::vector<uint8_t> &pixels, int width, int height, int channels) {
    std::vector<uint8_t> png;
    auto append = [](void *context, void *data, int size) {
        auto *bytes = static_cast<const uint8_t *>(data);
        static_cast<std::vector<uint8_t> *>(context)->insert(static_cast<std::vector<uint8_t> *>(context)->end(),
                                                             bytes, bytes + size);
    };
    stbi_write_png_compression_level = 1;  // large images: speed over size
    if (!stbi_write_png_to_func(append, &png, width, height, channels, pixels.data(), width * channels))
        throw std::runtime_error("stbi_write_png_to_func failed");
    return png;
}

}  // namespace

TEST_CASE("the synthetic images reach the extreme sizes", "[golden][synthetic]") {
    std::set<std::pair<int, int>> sizes;
    for (const auto &s : testing::golden_synthetic()) sizes.insert({s.width, s.height});
    for (auto want : {std::pair{1, 1}, {1, 500}, {500, 1}, {4000, 3}, {3, 4000}, {3000, 3000}, {2000, 1500}}) {
        INFO(want.first << "x" << want.second);
        CHECK(sizes.count(want) == 1);
    }
}

TEST_CASE("synthetic images: preprocessing bit-identical, predictions within 1e-5", "[golden][synthetic]") {
    const auto &cases = testing::golden_synthetic();
    REQUIRE(cases.size() >= 20);
    for (const auto &s : cases) {
        INFO(s.pattern << " " << s.width << "x" << s.height << " " << s.mode << " seed " << s.seed << " with "
                       << s.model);
        const int channels = testing::mode_channels(s.mode);
        const auto png = encode_png(testing::synthetic_pixels(s.pattern, s.width, s.height, s.mode, s.seed), s.width,
                                    s.height, channels);
        const auto &model = testing::shared_model(s.model);
        const auto p = model.preprocess_encoded(png.data(), png.size());
        REQUIRE(p.image.size() == s.preprocessed.size());
        CHECK(testing::differing_pixels(p.image, s.preprocessed) == 0);
        CHECK(testing::differing_tensor_bits(p.tensor, s.preprocessed, testing::golden_model(s.model).normalize_table) ==
              0);
        const auto prediction = model.predict_encoded(png);
        CHECK(prediction.digit == s.digit);
        REQUIRE(prediction.probabilities.size() == s.probabilities.size());
        for (std::size_t k = 0; k < s.probabilities.size(); ++k) {
            CHECK(prediction.probabilities[k] == Approx(s.probabilities[k]).margin(1e-5));
            CHECK(prediction.log_probabilities[k] == Approx(s.log_probabilities[k]).margin(1e-4).epsilon(1e-5));
        }
    }
}
