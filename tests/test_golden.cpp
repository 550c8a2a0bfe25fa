// Parity with the Python reference pipeline (SPEC section 2): golden values
// made by tools/make_golden.py from Pillow + torchvision + torch.jit.
#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <set>
#include <utility>

#include "digitinfer/digitinfer.hpp"
#include "shared_model.hpp"
#include "support.hpp"

using testing::golden_cases;

TEST_CASE("the golden corpus is there and covers both model kinds", "[golden][torch]") {
    int traced = 0, scripted = 0;
    for (const auto &c : golden_cases()) {
        traced += c.model == testing::kTracedModel;
        scripted += c.model == testing::kScriptedModel;
    }
    CHECK(traced >= 30);
    CHECK(scripted >= 100);
}

TEST_CASE("the golden corpus covers every format and mode, and the sizes that matter", "[golden]") {
    // (format, Pillow mode) pairs; each needs at least one image.
    const std::set<std::pair<std::string, std::string>> required{
        {"PNG", "1"},  {"PNG", "L"},   {"PNG", "LA"},  {"PNG", "I"},   {"PNG", "P"},    {"PNG", "RGB"},
        {"PNG", "RGBA"}, {"BMP", "1"}, {"BMP", "L"},   {"BMP", "P"},   {"BMP", "RGB"},  {"BMP", "RGBA"},
        {"GIF", "P"},  {"PPM", "L"},   {"PPM", "I"},   {"PPM", "RGB"}, {"TGA", "L"},    {"TGA", "LA"},
        {"TGA", "P"},  {"TGA", "RGB"}, {"TGA", "RGBA"}, {"JPEG", "L"}, {"JPEG", "RGB"}, {"JPEG", "CMYK"}};
    const std::set<std::pair<int, int>> sizes{{1, 1}, {5, 7}, {27, 29}, {28, 28}, {100, 100}, {640, 480}};
    std::set<std::pair<std::string, std::string>> seen;
    std::set<std::pair<int, int>> seen_sizes;
    for (const auto &c : golden_cases()) {
        if (c.model != testing::kDefaultModel) continue;
        seen.insert({c.format, c.mode});
        seen_sizes.insert({c.width, c.height});
    }
    for (const auto &want : required) {
        INFO(want.first << " " << want.second);
        CHECK(seen.count(want) == 1);
    }
    for (const auto &want : sizes) {
        INFO(want.first << "x" << want.second);
        CHECK(seen_sizes.count(want) == 1);
    }
}

TEST_CASE("preprocessed image is identical to Pillow's on lossless formats", "[golden]") {
    for (const auto &c : golden_cases()) {
        if (!c.lossless) continue;
        INFO(c.image << " (" << c.format << " " << c.mode << ") with " << c.model);
        const auto bytes = testing::read_bytes(c.image);
        const auto p = testing::shared_model(c.model).preprocess_encoded(bytes.data(), bytes.size());
        REQUIRE(p.image.size() == c.preprocessed.size());
        CHECK(testing::differing_pixels(p.image, c.preprocessed) == 0);
    }
}

TEST_CASE("JPEG decoded with libjpeg-turbo matches Pillow's pixels", "[golden]") {
    int jpegs = 0;
    for (const auto &c : golden_cases()) {
        if (c.lossless) continue;
        ++jpegs;
        INFO(c.image << " (" << c.mode << ")");
        const auto bytes = testing::read_bytes(c.image);
        const auto p = testing::shared_model(c.model).preprocess_encoded(bytes.data(), bytes.size());
        CHECK(testing::differing_pixels(p.image, c.preprocessed) == 0);
    }
    CHECK(jpegs > 0);
}

TEST_CASE("the normalized tensor is torchvision's, bit for bit", "[golden]") {
    for (const auto &c : golden_cases()) {
        INFO(c.image << " with " << c.model);
        const auto &model = testing::golden_model(c.model);
        const auto bytes = testing::read_bytes(c.image);
        const auto p = testing::shared_model(c.model).preprocess_encoded(bytes.data(), bytes.size());
        REQUIRE(p.tensor.size() == std::size_t(model.channels) * c.preprocessed.size());
        CHECK(testing::differing_tensor_bits(p.tensor, c.preprocessed, model.normalize_table) == 0);
    }
}

TEST_CASE("predictions match the Python reference: digit and probabilities within 1e-5", "[golden]") {
    for (const auto &c : golden_cases()) {
        INFO(c.image << " with " << c.model);
        const auto bytes = testing::read_bytes(c.image);
        const auto p = testing::shared_model(c.model).predict_encoded(bytes);
        CHECK(p.digit == c.digit);
        REQUIRE(p.probabilities.size() == c.probabilities.size());
        for (size_t k = 0; k < c.probabilities.size(); ++k) {
            CHECK(p.probabilities[k] == Approx(c.probabilities[k]).margin(1e-5));
            CHECK(p.log_probabilities[k] == Approx(c.log_probabilities[k]).margin(1e-4).epsilon(1e-5));
        }
    }
}

TEST_CASE("files Pillow reads but the library does not support are refused as decode errors", "[golden]") {
    const auto &files = testing::golden_unsupported();
    REQUIRE(!files.empty());
    const auto &model = testing::shared_model(testing::kDefaultModel);
    for (const auto &f : files) {
        INFO(f.image << " (Pillow: " << f.format << " " << f.mode << ")");
        const auto bytes = testing::read_bytes(f.image);
        di_status status = DI_OK;
        try {
            model.predict_encoded(bytes);
        } catch (const digitinfer::Error &e) {
            status = e.code();
        }
        CHECK(status == DI_ERR_DECODE);
    }
}

TEST_CASE("the bundled example images are classified as their digit", "[golden]") {
    const digitinfer::Model model(testing::repo_path(testing::stand_in(testing::kScriptedModel)));
    CHECK(model.predict_file(testing::repo_path("examples/images/digit-7.png")).digit == 7);
    CHECK(model.predict_file(testing::repo_path("examples/images/digit-2.png")).digit == 2);
}
