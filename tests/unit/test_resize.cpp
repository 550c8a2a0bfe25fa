// The torch-free preprocessing stages on their own, linked from the internal
// digitinfer_image target (the shared library hides them): Pillow's filter vs a plain bilinear.
#include <catch2/catch.hpp>

#include <numeric>

#include <algorithm>
#include <cmath>

#include "image/decode.hpp"
#include "image/grayscale.hpp"
#include "image/resize.hpp"
#include "../support.hpp"

using namespace digitinfer::core;

namespace {

// The naive alternative (no antialiasing, OpenCV/half-pixel style), as a naive port would
// resize: kept here to show that it does not match Pillow.
void resize_bilinear_plain(const uint8_t *in, int width, int height, std::size_t stride, uint8_t *out,
                           int out_width, int out_height) {
    for (int yy = 0; yy < out_height; ++yy) {
        const double sy = std::clamp((yy + 0.5) * height / out_height - 0.5, 0.0, double(height - 1));
        const int y0 = int(sy), y1 = std::min(y0 + 1, height - 1);
        const double fy = sy - y0;
        for (int xx = 0; xx < out_width; ++xx) {
            const double sx = std::clamp((xx + 0.5) * width / out_width - 0.5, 0.0, double(width - 1));
            const int x0 = int(sx), x1 = std::min(x0 + 1, width - 1);
            const double fx = sx - x0;
            auto at = [&](int x, int y) { return double(in[std::size_t(y) * stride + std::size_t(x)]); };
            const double top = at(x0, y0) * (1 - fx) + at(x1, y0) * fx;
            const double bottom = at(x0, y1) * (1 - fx) + at(x1, y1) * fx;
            out[std::size_t(yy) * std::size_t(out_width) + std::size_t(xx)] =
                uint8_t(std::lround(top * (1 - fy) + bottom * fy));
        }
    }
}

}  // namespace

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

// The AVX2 horizontal pass (where the CPU has it) computes the scalar pass's integer sums: the
// same bytes for every size, stride and scale, including windows at the right edge whose loads
// start early, and wide downscales past the kernel's unrolled tap counts.
TEST_CASE("the SIMD horizontal pass gives the scalar pass's bytes", "[resize]") {
    uint32_t state = 12345;
    auto next = [&] { return state = state * 1664525u + 1013904223u; };
    int compared = 0;
    for (int round = 0; round < 300; ++round) {
        const int w = 1 + int(next() % 900), h = 1 + int(next() % 60), pad = int(next() % 5);
        const int out_w = round % 3 == 0 ? 28 : 1 + int(next() % 64), out_h = round % 4 == 0 ? h : 1 + int(next() % 40);
        const std::size_t stride = std::size_t(w + pad);
        std::vector<uint8_t> in(stride * std::size_t(h));
        for (uint8_t &v : in) v = uint8_t(round % 5 == 0 ? 255 : next() >> 24);  // all-255 tests the sums' range
        std::vector<uint8_t> simd(std::size_t(out_w) * std::size_t(out_h)), scalar(simd.size());
        resize_bilinear_antialiased(in.data(), w, h, stride, simd.data(), out_w, out_h, true);
        resize_bilinear_antialiased(in.data(), w, h, stride, scalar.data(), out_w, out_h, false);
        INFO(w << "x" << h << " (stride " << stride << ") -> " << out_w << "x" << out_h);
        REQUIRE(simd == scalar);
        ++compared;
    }
    CHECK(compared == 300);
}

// A one-row image never steps by its stride, so the C API accepts any stride for it; the SIMD
// pass advanced its row pointer by the stride after the last row anyway (a pointer overflow:
// undefined behaviour, which UBSan reported from fuzz_c_api with stride SIZE_MAX - 38).
TEST_CASE("the resize forms no row pointer past a one-row image, whatever its stride", "[resize]") {
    std::vector<uint8_t> in(64);
    for (std::size_t i = 0; i < in.size(); ++i) in[i] = uint8_t(i * 37);
    for (const bool simd : {true, false}) {
        std::vector<uint8_t> out(28 * 28), expected(28 * 28);
        resize_bilinear_antialiased(in.data(), 64, 1, SIZE_MAX - 38, out.data(), 28, 28, simd);
        resize_bilinear_antialiased(in.data(), 64, 1, 64, expected.data(), 28, 28, simd);
        INFO((simd ? "SIMD" : "scalar"));
        CHECK(out == expected);
    }
}

// The AVX2 luma (where the CPU has it) is Pillow's integer formula: the scalar loop's bytes for
// RGB and RGBA rows of every length (the vector loop's tail included), extreme values too.
TEST_CASE("the SIMD grayscale conversion gives the scalar conversion's bytes", "[grayscale]") {
    uint32_t state = 99;
    auto next = [&] { return uint8_t((state = state * 1664525u + 1013904223u) >> 24); };
    for (int channels : {3, 4})
        for (std::size_t count = 0; count < 200; ++count) {
            std::vector<uint8_t> in(count * std::size_t(channels));
            for (uint8_t &v : in) v = count % 7 == 0 ? 255 : count % 11 == 0 ? 0 : next();
            std::vector<uint8_t> simd(count), scalar(count);
            gray_row(in.data(), count, channels, simd.data(), true);
            gray_row(in.data(), count, channels, scalar.data(), false);
            INFO(channels << " channels, " << count << " pixels");
            REQUIRE(simd == scalar);
        }
}
