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

TEST_CASE("a plain bilinear resize fails the golden check that Pillow's filter passes", "[resize]") {
    int plain_mismatches = 0, pillow_mismatches = 0, checked = 0;
    for (const auto &c : testing::golden_cases()) {
        if (!c.lossless || c.model != testing::kTracedModel) continue;
        const auto bytes = testing::read_bytes(c.image);
        const GrayImage gray = to_grayscale(decode_image(bytes.data(), bytes.size()));
        std::vector<uint8_t> pillow(28 * 28), plain(28 * 28);
        resize_bilinear_antialiased(gray.pixels.data(), gray.width, gray.height, size_t(gray.width), pillow.data(),
                                    28, 28);
        resize_bilinear_plain(gray.pixels.data(), gray.width, gray.height, size_t(gray.width), plain.data(), 28, 28);
        pillow_mismatches += pillow != c.preprocessed;
        plain_mismatches += plain != c.preprocessed;
        ++checked;
    }
    REQUIRE(checked > 20);
    CHECK(pillow_mismatches == 0);
    CHECK(plain_mismatches > 0);
}
