// The torch-free preprocessing stages on their own, compiled from src/ directly
// (the shared library hides its internals): Pillow's filter vs a plain bilinear.
#include <catch2/catch.hpp>

#include <numeric>

#include "../../src/decode.hpp"
#include "../../src/grayscale.hpp"
#include "../../src/resize.hpp"
#include "../support.hpp"

using namespace digitinfer;

TEST_CASE("identity resize copies rows, skipping the stride padding", "[resize]") {
    std::vector<uint8_t> in(30 * 28);
    std::iota(in.begin(), in.end(), 0);
    std::vector<uint8_t> out(28 * 28);
    resize_bilinear_antialiased(in.data(), 28, 28, 30, out.data(), 28, 28);
    for (int y = 0; y < 28; ++y)
        for (int x = 0; x < 28; ++x) CHECK(out[size_t(y) * 28 + size_t(x)] == in[size_t(y) * 30 + size_t(x)]);
}

TEST_CASE("a constant image stays constant at any scale", "[resize]") {
    for (auto [w, h] : {std::pair{1, 1}, {5, 7}, {1, 500}, {4000, 3}, {640, 480}}) {
        std::vector<uint8_t> in(size_t(w) * size_t(h), 173), out(28 * 28);
        resize_bilinear_antialiased(in.data(), w, h, size_t(w), out.data(), 28, 28);
        for (uint8_t v : out) CHECK(v == 173);
    }
}

// The "teeth" of the golden tests: Pillow's filter reproduces every golden image (each committed
// image with the default model, and every synthetic image, at its model's input size); a plain
// bilinear resize, as a naive C++ port would do it, does not.
TEST_CASE("a plain bilinear resize fails the golden check that Pillow's filter passes", "[resize]") {
    int plain_mismatches = 0, pillow_mismatches = 0, checked = 0, resized = 0;
    auto check = [&](const GrayImage &gray, int out_width, int out_height, const std::vector<uint8_t> &want) {
        std::vector<uint8_t> pillow(std::size_t(out_width) * std::size_t(out_height)), plain(pillow.size());
        resize_bilinear_antialiased(gray.pixels.data(), gray.width, gray.height, size_t(gray.width), pillow.data(),
                                    out_width, out_height);
        resize_bilinear_plain(gray.pixels.data(), gray.width, gray.height, size_t(gray.width), plain.data(), out_width,
                              out_height);
        pillow_mismatches += pillow != want;
        plain_mismatches += plain != want;
        ++checked;
        resized += gray.width != out_width || gray.height != out_height;
        return pillow == want;
    };
    for (const auto &c : testing::golden_cases()) {
        if (c.model != testing::kDefaultModel) continue;
        INFO(c.image);
        const auto bytes = testing::read_bytes(c.image);
        CHECK(check(to_grayscale(decode_image(bytes.data(), bytes.size())), 28, 28, c.preprocessed));
    }
    for (const auto &s : testing::golden_synthetic()) {
        INFO(s.pattern << " " << s.width << "x" << s.height << " " << s.mode);
        const auto &model = testing::golden_model(s.model);
        Image image{s.width, s.height, testing::mode_channels(s.mode),
                    testing::synthetic_pixels(s.pattern, s.width, s.height, s.mode, s.seed)};
        CHECK(check(to_grayscale(std::move(image)), model.width, model.height, s.preprocessed));
    }
    REQUIRE(checked > 100);
    CHECK(pillow_mismatches == 0);
    INFO(plain_mismatches << " of " << resized << " resized images differ with a plain bilinear resize");
    CHECK(plain_mismatches > resized * 3 / 4);
}
