// Bad input of every kind gets the right status and a message, never a crash.
#include <catch2/catch.hpp>

#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "digitinfer/digitinfer.h"
#include "support.hpp"

using testing::read_bytes;
using testing::repo_path;

namespace {

struct Fixture {
    di_model *model = nullptr;
    di_prediction prediction{};
    float probs[40]{};  // room for batches of 4, so that size checks reach the inputs
    di_outputs out{&prediction, probs, nullptr, 40};
    Fixture() { REQUIRE(di_model_load_file(repo_path(testing::stand_in(testing::kTracedModel)).c_str(), nullptr, &model) == DI_OK); }
    ~Fixture() { di_model_free(model); }
};

void check_fails(di_status got, di_status expected, const char *mentions = "") {
    CHECK(di_status_string(got) == std::string(di_status_string(expected)));
    const std::string message = di_last_error_message();
    CHECK_FALSE(message.empty());
    CHECK(message.find(mentions) != std::string::npos);
}

di_status load(const char *relative) {
    di_model *model = reinterpret_cast<di_model *>(0x1);  // must be reset to NULL on failure
    const di_status s = di_model_load_file(repo_path(relative).c_str(), nullptr, &model);
    CHECK(model == nullptr);
    di_model_free(model);
    return s;
}

}  // namespace

TEST_CASE("null pointers are refused with DI_ERR_INVALID_ARGUMENT", "[bad]") {
    Fixture f;
    const auto png = read_bytes("examples/images/digit-2.png");
    di_model *m = nullptr;
    check_fails(di_model_load_file(nullptr, nullptr, &m), DI_ERR_INVALID_ARGUMENT, "path");
    check_fails(di_model_load_file(repo_path(testing::stand_in(testing::kTracedModel)).c_str(), nullptr, nullptr),
                DI_ERR_INVALID_ARGUMENT, "out");
    check_fails(di_model_load_memory(nullptr, 10, nullptr, &m), DI_ERR_INVALID_ARGUMENT, "data");
    check_fails(di_model_predict_encoded(nullptr, png.data(), png.size(), &f.out), DI_ERR_INVALID_ARGUMENT, "model");
    check_fails(di_model_predict_encoded(f.model, nullptr, 10, &f.out), DI_ERR_INVALID_ARGUMENT, "NULL");
    check_fails(di_model_predict_encoded(f.model, png.data(), png.size(), nullptr), DI_ERR_INVALID_ARGUMENT, "out");
    check_fails(di_model_predict_encoded_batch(f.model, nullptr, 2, &f.out), DI_ERR_INVALID_ARGUMENT, "images");
    check_fails(di_model_predict_gray(f.model, nullptr, &f.out), DI_ERR_INVALID_ARGUMENT, "image");
    di_gray_image no_pixels{nullptr, 28, 28, 28};
    check_fails(di_model_predict_gray(f.model, &no_pixels, &f.out), DI_ERR_INVALID_ARGUMENT, "pixels");
    check_fails(di_model_predict_tensor(f.model, nullptr, 784, 1, &f.out), DI_ERR_INVALID_ARGUMENT, "data");
    check_fails(di_model_get_info(nullptr, nullptr), DI_ERR_INVALID_ARGUMENT, "model");
    check_fails(di_model_get_info(f.model, nullptr), DI_ERR_INVALID_ARGUMENT, "out");
    check_fails(di_model_get_label(f.model, 0, nullptr), DI_ERR_INVALID_ARGUMENT, "out");
    check_fails(di_model_preprocess_encoded(nullptr, png.data(), png.size(), nullptr, 0, nullptr, 0),
                DI_ERR_INVALID_ARGUMENT, "model");
    di_model_free(nullptr);  // a no-op
}

TEST_CASE("the error message is cleared by the next successful call", "[bad]") {
    Fixture f;
    di_model_predict_encoded(f.model, "xx", 2, &f.out);
    CHECK_FALSE(std::string(di_last_error_message()).empty());
    const auto png = read_bytes("examples/images/digit-2.png");
    REQUIRE(di_model_predict_encoded(f.model, png.data(), png.size(), &f.out) == DI_OK);
    CHECK(std::string(di_last_error_message()).empty());
}

TEST_CASE("empty, truncated, corrupt and non-image bytes give DI_ERR_DECODE", "[bad]") {
    Fixture f;
    for (const char *name : {"empty.png", "truncated.png", "truncated.jpg", "corrupt.png", "not-an-image.txt",
                             "random.bin", "huge-dims.png", "zero-width.bmp"}) {
        INFO(name);
        const auto bytes = read_bytes(std::string("tests/data/bad/") + name);
        const uint8_t dummy = 0;
        check_fails(di_model_predict_encoded(f.model, bytes.empty() ? &dummy : bytes.data(), bytes.size(), &f.out),
                    DI_ERR_DECODE, "decode");
    }
}

TEST_CASE("bytes of no known image format say so, naming the formats", "[bad]") {
    Fixture f;
    for (const char *name : {"not-an-image.txt", "random.bin"}) {
        INFO(name);
        const auto bytes = read_bytes(std::string("tests/data/bad/") + name);
        check_fails(di_model_predict_encoded(f.model, bytes.data(), bytes.size(), &f.out), DI_ERR_DECODE,
                    "cannot decode image: unknown format (not PNG, JPEG, GIF, BMP, PNM or TGA)");
    }
}

TEST_CASE("every prefix of a valid PNG and JPEG is refused or decoded, never a crash", "[bad]") {
    Fixture f;
    for (const char *name : {"examples/images/digit-2.png", "tests/data/images/9-L-28x28.jpg"}) {
        const auto bytes = read_bytes(name);
        for (size_t n = 1; n < bytes.size(); n += 7) {
            const di_status s = di_model_predict_encoded(f.model, bytes.data(), n, &f.out);
            CHECK((s == DI_ERR_DECODE || s == DI_OK));
        }
    }
}

TEST_CASE("a missing file gives DI_ERR_IO", "[bad]") {
    check_fails(load("models/does-not-exist.pt"), DI_ERR_IO, "does-not-exist.pt");
    check_fails(load("models"), DI_ERR_IO, "directory");
}

TEST_CASE("corrupt and non-TorchScript model files give DI_ERR_MODEL", "[bad]") {
    check_fails(load("tests/data/bad/garbage.pt"), DI_ERR_MODEL, "TorchScript");
    check_fails(load("tests/data/bad/not-torchscript.pt"), DI_ERR_MODEL, "TorchScript");
    check_fails(load("tests/data/images/0-L-28x28.png"), DI_ERR_MODEL, "TorchScript");
    const auto model = read_bytes(testing::kTracedModel);  // a zip cut in half
    di_model *m = nullptr;
    check_fails(di_model_load_memory(model.data(), model.size() / 2, nullptr, &m), DI_ERR_MODEL, "TorchScript");
    check_fails(di_model_load_memory(model.data(), 0, nullptr, &m), DI_ERR_INVALID_ARGUMENT, "empty");
    CHECK(m == nullptr);
}

TEST_CASE("models with the wrong input or output shape are rejected at load", "[bad][torch]") {
    check_fails(load("tests/data/bad/wrong-output.pt"), DI_ERR_MODEL, "expected");
    check_fails(load("tests/data/bad/wrong-output-flat.pt"), DI_ERR_MODEL, "expected");
    check_fails(load("tests/data/bad/wrong-input.pt"), DI_ERR_MODEL, "rejects input");
}

TEST_CASE("zero, absurd and inconsistent sizes are refused", "[bad]") {
    Fixture f;
    const auto png = read_bytes("examples/images/digit-2.png");
    check_fails(di_model_predict_encoded(f.model, png.data(), 0, &f.out), DI_ERR_DECODE, "no bytes");
    di_encoded_image one{png.data(), png.size()};
    check_fails(di_model_predict_encoded_batch(f.model, &one, 0, &f.out), DI_ERR_INVALID_ARGUMENT, "count");
    check_fails(di_model_predict_encoded_batch(f.model, &one, std::numeric_limits<size_t>::max(), &f.out),
                DI_ERR_INVALID_ARGUMENT, "batch limit");

    std::vector<uint8_t> pixels(28 * 28);
    for (di_gray_image bad : {di_gray_image{pixels.data(), 0, 28, 28}, di_gray_image{pixels.data(), 28, -1, 28},
                              di_gray_image{pixels.data(), 1 << 30, 1 << 30, size_t(1) << 30},
                              di_gray_image{pixels.data(), 28, 28, 27}}) {
        check_fails(di_model_predict_gray(f.model, &bad, &f.out), DI_ERR_INVALID_ARGUMENT, "gray image");
    }

    std::vector<float> tensor(784, 0.0f);
    check_fails(di_model_predict_tensor(f.model, tensor.data(), 783, 1, &f.out), DI_ERR_INVALID_ARGUMENT,
                "num_floats");
    check_fails(di_model_predict_tensor(f.model, tensor.data(), 784, 2, &f.out), DI_ERR_INVALID_ARGUMENT,
                "num_floats");
    tensor[5] = std::numeric_limits<float>::quiet_NaN();
    check_fails(di_model_predict_tensor(f.model, tensor.data(), 784, 1, &f.out), DI_ERR_INVALID_ARGUMENT,
                "finite");
}

TEST_CASE("a failing image in a batch names its index and writes nothing", "[bad]") {
    Fixture f;
    const auto png = read_bytes("examples/images/digit-2.png");
    di_encoded_image images[3] = {{png.data(), png.size()}, {"nope", 4}, {png.data(), png.size()}};
    di_prediction predictions[3] = {{-7, -7}, {-7, -7}, {-7, -7}};
    di_outputs out = di_outputs_default();
    out.predictions = predictions;
    check_fails(di_model_predict_encoded_batch(f.model, images, 3, &out), DI_ERR_DECODE, "image 1");
    CHECK(predictions[0].class_index == -7);
}
