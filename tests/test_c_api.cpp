// The C API's contract: loading, metadata, version, outputs, statuses.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "digitinfer/digitinfer.h"
#include "support.hpp"

using testing::read_bytes;
using testing::repo_path;

namespace {

struct ModelPtr {
    di_model *m = nullptr;
    ~ModelPtr() { di_model_free(m); }
};

}  // namespace

TEST_CASE("traced and scripted models load from file and from memory", "[c_api][torch]") {
    for (const char *path : {testing::kTracedModel, testing::kScriptedModel}) {
        ModelPtr file, memory;
        REQUIRE(di_model_load_file(repo_path(path).c_str(), nullptr, &file.m) == DI_OK);
        REQUIRE(file.m != nullptr);
        CHECK(std::string(di_last_error_message()).empty());
        const auto bytes = read_bytes(path);
        REQUIRE(di_model_load_memory(bytes.data(), bytes.size(), nullptr, &memory.m) == DI_OK);

        const auto image = read_bytes("examples/images/digit-7.png");
        di_prediction a{}, b{};
        di_outputs out = di_outputs_default();
        out.predictions = &a;
        REQUIRE(di_model_predict_encoded(file.m, image.data(), image.size(), &out) == DI_OK);
        out.predictions = &b;
        REQUIRE(di_model_predict_encoded(memory.m, image.data(), image.size(), &out) == DI_OK);
        CHECK(a.class_index == 7);
        CHECK(a.class_index == b.class_index);
        CHECK(a.probability == b.probability);
    }
}

TEST_CASE("metadata is read back from the digitinfer.json extra file", "[c_api][torch]") {
    ModelPtr model;
    REQUIRE(di_model_load_file(repo_path(testing::stand_in(testing::kScriptedModel)).c_str(), nullptr, &model.m) == DI_OK);
    di_model_info info = di_model_info_default();
    REQUIRE(di_model_get_info(model.m, &info) == DI_OK);
    CHECK(info.input_channels == 1);
    CHECK(info.input_height == 28);
    CHECK(info.input_width == 28);
    CHECK(info.num_classes == 10);
    CHECK(info.mean == 0.1302f);
    CHECK(info.std == 0.3069f);
    CHECK(info.output_kind == DI_OUTPUT_LOG_PROBABILITIES);
    CHECK(info.has_metadata == 1);
    CHECK(std::string(info.name) == "digitinfer-convnet");
    const char *label = nullptr;
    REQUIRE(di_model_get_label(model.m, 7, &label) == DI_OK);
    CHECK(std::string(label) == "7");
    CHECK(di_model_get_label(model.m, 10, &label) == DI_ERR_INVALID_ARGUMENT);
    CHECK(label == nullptr);
    CHECK(di_model_get_label(model.m, -1, &label) == DI_ERR_INVALID_ARGUMENT);
}

TEST_CASE("a model without metadata gets the SPEC defaults", "[c_api][torch]") {
    ModelPtr model;
    REQUIRE(di_model_load_file(repo_path("tests/data/models/convnet-nometa.traced.pt").c_str(), nullptr, &model.m) ==
            DI_OK);
    di_model_info info = di_model_info_default();
    REQUIRE(di_model_get_info(model.m, &info) == DI_OK);
    CHECK(info.has_metadata == 0);
    CHECK(info.mean == 0.1302f);
    CHECK(info.std == 0.3069f);
    CHECK(info.input_height == 28);
    CHECK(info.output_kind == DI_OUTPUT_LOG_PROBABILITIES);  // detected
}

TEST_CASE("metadata input size and normalization are honoured", "[c_api][torch]") {
    ModelPtr tiny, mnist_norm;
    REQUIRE(di_model_load_file(repo_path("tests/data/models/tiny-32x32.traced.pt").c_str(), nullptr, &tiny.m) ==
            DI_OK);
    di_model_info info = di_model_info_default();
    REQUIRE(di_model_get_info(tiny.m, &info) == DI_OK);
    CHECK(info.input_height == 32);
    CHECK(info.input_width == 32);
    std::vector<uint8_t> image(32 * 32);
    const auto png = read_bytes("examples/images/digit-7.png");
    REQUIRE(di_model_preprocess_encoded(tiny.m, png.data(), png.size(), image.data(), image.size(), nullptr, 0) ==
            DI_OK);
    CHECK(di_model_preprocess_encoded(tiny.m, png.data(), png.size(), image.data(), 28 * 28, nullptr, 0) ==
          DI_ERR_BUFFER_TOO_SMALL);

    REQUIRE(di_model_load_file(repo_path("tests/data/models/convnet-mnist-norm.traced.pt").c_str(), nullptr,
                               &mnist_norm.m) == DI_OK);
    REQUIRE(di_model_get_info(mnist_norm.m, &info) == DI_OK);
    CHECK(info.mean == 0.1307f);
    CHECK(info.std == 0.3081f);
    float tensor[28 * 28];
    REQUIRE(di_model_preprocess_encoded(mnist_norm.m, png.data(), png.size(), nullptr, 0, tensor, 784) == DI_OK);
    const float black = (0.0f - 0.1307f) / 0.3081f;
    CHECK(tensor[0] == black);  // the corner of the example image is black
}

TEST_CASE("logits models are detected or declared, and softmaxed", "[c_api][torch]") {
    const auto png = read_bytes("examples/images/digit-7.png");
    ModelPtr reference;
    REQUIRE(di_model_load_file(repo_path(testing::stand_in(testing::kTracedModel)).c_str(), nullptr, &reference.m) == DI_OK);
    float expected[10];
    di_outputs out = di_outputs_default();
    out.probabilities = expected;
    out.scores_capacity = 10;
    REQUIRE(di_model_predict_encoded(reference.m, png.data(), png.size(), &out) == DI_OK);

    for (const char *path : {"tests/data/models/convnet-logits.scripted.pt",
                             "tests/data/models/convnet-logits-declared.traced.pt"}) {
        ModelPtr model;
        REQUIRE(di_model_load_file(repo_path(path).c_str(), nullptr, &model.m) == DI_OK);
        di_model_info info = di_model_info_default();
        REQUIRE(di_model_get_info(model.m, &info) == DI_OK);
        CHECK(info.output_kind == DI_OUTPUT_LOGITS);
        float probs[10];
        out.probabilities = probs;
        REQUIRE(di_model_predict_encoded(model.m, png.data(), png.size(), &out) == DI_OK);
        for (int k = 0; k < 10; ++k) CHECK(probs[k] == Approx(expected[k]).margin(1e-5));
    }
}

TEST_CASE("load options: output kind can be forced, bad values are refused", "[c_api]") {
    di_load_options opts = di_load_options_default();
    CHECK(opts.struct_size == sizeof(di_load_options));
    opts.output_kind = DI_OUTPUT_LOGITS;
    ModelPtr model;
    REQUIRE(di_model_load_file(repo_path(testing::stand_in(testing::kTracedModel)).c_str(), &opts, &model.m) == DI_OK);
    di_model_info info = di_model_info_default();
    REQUIRE(di_model_get_info(model.m, &info) == DI_OK);
    CHECK(info.output_kind == DI_OUTPUT_LOGITS);

    ModelPtr refused;
    opts.output_kind = static_cast<di_output_kind>(42);
    CHECK(di_model_load_file(repo_path(testing::stand_in(testing::kTracedModel)).c_str(), &opts, &refused.m) ==
          DI_ERR_INVALID_ARGUMENT);
    opts = di_load_options_default();
    opts.num_threads = -3;
    CHECK(di_model_load_file(repo_path(testing::stand_in(testing::kTracedModel)).c_str(), &opts, &refused.m) ==
          DI_ERR_INVALID_ARGUMENT);
    opts = di_load_options_default();
    opts.struct_size = 0;  // not initialised with di_load_options_default()
    CHECK(di_model_load_file(repo_path(testing::stand_in(testing::kTracedModel)).c_str(), &opts, &refused.m) ==
          DI_ERR_INVALID_ARGUMENT);
    CHECK(std::string(di_last_error_message()).find("struct_size") != std::string::npos);
    CHECK(refused.m == nullptr);
}

TEST_CASE("an older, shorter di_model_info gets only the fields it has", "[c_api]") {
    ModelPtr model;
    REQUIRE(di_model_load_file(repo_path(testing::stand_in(testing::kTracedModel)).c_str(), nullptr, &model.m) == DI_OK);
    di_model_info info;
    std::memset(&info, 0xAB, sizeof info);
    info.struct_size = offsetof(di_model_info, num_threads);  // a caller compiled against 1.0
    REQUIRE(di_model_get_info(model.m, &info) == DI_OK);
    CHECK(info.input_width == 28);
    CHECK(info.engine_note != nullptr);
    CHECK(info.num_threads == int32_t(0xABABABAB));  // since 1.1: untouched
    CHECK(info.struct_size == offsetof(di_model_info, num_threads));
}

TEST_CASE("version queries agree with the header", "[c_api]") {
    CHECK(std::string(di_version()) == DI_VERSION_STRING);
    CHECK(di_version_number() == DI_VERSION_NUMBER);
    CHECK(di_abi_version() == DI_ABI_VERSION);
    CHECK(di_abi_version() == DI_VERSION_MAJOR);
}

TEST_CASE("every status has a name; unknown ones too", "[c_api]") {
    CHECK(std::string(di_status_string(DI_OK)) == "DI_OK");
    CHECK(std::string(di_status_string(DI_ERR_DECODE)) == "DI_ERR_DECODE");
    CHECK(std::string(di_status_string(static_cast<di_status>(-55))) == "DI_ERR_UNKNOWN");
}

TEST_CASE("outputs: probabilities, log-probabilities and prediction agree", "[c_api]") {
    ModelPtr model;
    REQUIRE(di_model_load_file(repo_path(testing::stand_in(testing::kTracedModel)).c_str(), nullptr, &model.m) == DI_OK);
    const auto png = read_bytes("examples/images/digit-2.png");
    di_prediction p{};
    float probs[10], logs[10];
    di_outputs out{&p, probs, logs, 10};
    REQUIRE(di_model_predict_encoded(model.m, png.data(), png.size(), &out) == DI_OK);
    CHECK(p.class_index == 2);
    float sum = 0;
    for (int k = 0; k < 10; ++k) {
        sum += probs[k];
        CHECK(probs[k] == Approx(std::exp(logs[k])).epsilon(1e-6));
        CHECK(probs[k] <= p.probability);
    }
    CHECK(sum == Approx(1.0f).margin(1e-5));
    CHECK(p.probability == probs[2]);

    out.scores_capacity = 9;
    CHECK(di_model_predict_encoded(model.m, png.data(), png.size(), &out) == DI_ERR_BUFFER_TOO_SMALL);
    di_outputs only_prediction = di_outputs_default();
    only_prediction.predictions = &p;  // no score arrays: capacity is irrelevant
    CHECK(di_model_predict_encoded(model.m, png.data(), png.size(), &only_prediction) == DI_OK);
}

TEST_CASE("raw grayscale input with a stride equals the encoded path", "[c_api]") {
    ModelPtr model;
    REQUIRE(di_model_load_file(repo_path(testing::stand_in(testing::kTracedModel)).c_str(), nullptr, &model.m) == DI_OK);
    const auto png = read_bytes("examples/images/digit-7.png");
    std::vector<uint8_t> gray(28 * 28);
    REQUIRE(di_model_preprocess_encoded(model.m, png.data(), png.size(), gray.data(), gray.size(), nullptr, 0) ==
            DI_OK);
    // The same 28x28 pixels placed in a wider buffer (stride 40).
    std::vector<uint8_t> strided(40 * 28, 0xEE);
    for (int y = 0; y < 28; ++y) std::memcpy(&strided[size_t(y) * 40], &gray[size_t(y) * 28], 28);
    di_gray_image image{strided.data(), 28, 28, 40};
    float a[10], b[10];
    di_outputs out{nullptr, a, nullptr, 10};
    REQUIRE(di_model_predict_gray(model.m, &image, &out) == DI_OK);
    out.probabilities = b;
    REQUIRE(di_model_predict_encoded(model.m, png.data(), png.size(), &out) == DI_OK);
    for (int k = 0; k < 10; ++k) CHECK(a[k] == b[k]);
}

TEST_CASE("the normalized tensor path equals the encoded path", "[c_api]") {
    ModelPtr model;
    REQUIRE(di_model_load_file(repo_path(testing::stand_in(testing::kScriptedModel)).c_str(), nullptr, &model.m) == DI_OK);
    const auto png = read_bytes("examples/images/digit-7.png");
    std::vector<float> tensor(784);
    REQUIRE(di_model_preprocess_encoded(model.m, png.data(), png.size(), nullptr, 0, tensor.data(), 784) == DI_OK);
    float a[10], b[10];
    di_outputs out{nullptr, nullptr, a, 10};
    REQUIRE(di_model_predict_tensor(model.m, tensor.data(), tensor.size(), 1, &out) == DI_OK);
    out.log_probabilities = b;
    REQUIRE(di_model_predict_encoded(model.m, png.data(), png.size(), &out) == DI_OK);
    for (int k = 0; k < 10; ++k) CHECK(a[k] == b[k]);
}
