// Parity with the Python reference pipeline (SPEC section 2): golden values
// made by tools/make_golden.py from Pillow + torchvision + torch.jit.
#include <catch2/catch.hpp>

#include <map>
#include <memory>

#include "digitinfer/digitinfer.hpp"
#include "support.hpp"

using testing::golden_cases;

namespace {

const digitinfer::Model &model_for(const std::string &path) {
    static std::map<std::string, std::unique_ptr<digitinfer::Model>> cache;
    auto &slot = cache[path];
    if (!slot) slot = std::make_unique<digitinfer::Model>(testing::repo_path(path));
    return *slot;
}

int differing_pixels(const std::vector<uint8_t> &a, const std::vector<uint8_t> &b) {
    int n = 0;
    for (size_t i = 0; i < a.size(); ++i) n += a[i] != b[i];
    return n;
}

}  // namespace

TEST_CASE("the golden corpus is there and covers both model kinds", "[golden]") {
    int traced = 0, scripted = 0;
    for (const auto &c : golden_cases()) {
        traced += c.model == testing::kTracedModel;
        scripted += c.model == testing::kScriptedModel;
    }
    CHECK(traced >= 30);
    CHECK(scripted >= 30);
}

TEST_CASE("preprocessed image is identical to Pillow's on lossless formats", "[golden]") {
    for (const auto &c : golden_cases()) {
        if (!c.lossless) continue;
        INFO(c.image << " (" << c.format << " " << c.mode << ") with " << c.model);
        const auto bytes = testing::read_bytes(c.image);
        const auto p = model_for(c.model).preprocess_encoded(bytes.data(), bytes.size());
        REQUIRE(p.image.size() == c.preprocessed.size());
        CHECK(differing_pixels(p.image, c.preprocessed) == 0);
    }
}

TEST_CASE("JPEG decoded with libjpeg-turbo matches Pillow's pixels", "[golden]") {
    int jpegs = 0;
    for (const auto &c : golden_cases()) {
        if (c.lossless) continue;
        ++jpegs;
        INFO(c.image << " (" << c.mode << ")");
        const auto bytes = testing::read_bytes(c.image);
        const auto p = model_for(c.model).preprocess_encoded(bytes.data(), bytes.size());
        CHECK(differing_pixels(p.image, c.preprocessed) == 0);
    }
    CHECK(jpegs > 0);
}

TEST_CASE("predictions match the Python reference: digit and probabilities within 1e-5", "[golden]") {
    for (const auto &c : golden_cases()) {
        INFO(c.image << " with " << c.model);
        const auto bytes = testing::read_bytes(c.image);
        const auto p = model_for(c.model).predict_encoded(bytes);
        CHECK(p.digit == c.digit);
        REQUIRE(p.probabilities.size() == c.probabilities.size());
        for (size_t k = 0; k < c.probabilities.size(); ++k) {
            CHECK(p.probabilities[k] == Approx(c.probabilities[k]).margin(1e-5));
            CHECK(p.log_probabilities[k] == Approx(c.log_probabilities[k]).margin(1e-4).epsilon(1e-5));
        }
    }
}

TEST_CASE("the bundled example images are classified as their digit", "[golden]") {
    const digitinfer::Model model(testing::repo_path(testing::kScriptedModel));
    CHECK(model.predict_file(testing::repo_path("examples/images/digit-7.png")).digit == 7);
    CHECK(model.predict_file(testing::repo_path("examples/images/digit-2.png")).digit == 2);
}
