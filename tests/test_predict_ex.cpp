// The 1.1 C API: names, decode limits, per-call options, per-image statuses,
// bounded per-thread memory, has_metadata of compiled models.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstddef>
#include <fstream>
#include <tuple>
#include <string>
#include <vector>

#include "digitinfer/digitinfer.h"
#include "support.hpp"

using testing::read_bytes;
using testing::repo_path;

namespace {

struct ModelPtr {
    di_model *m = nullptr;
    ModelPtr() = default;
    explicit ModelPtr(const std::string &path, const di_load_options *o = nullptr) {
        REQUIRE(di_model_load_file(repo_path(path).c_str(), o, &m) == DI_OK);
    }
    ~ModelPtr() { di_model_free(m); }
};

di_model_info info_of(const di_model *m) {
    di_model_info info = di_model_info_default();
    REQUIRE(di_model_get_info(m, &info) == DI_OK);
    return info;
}

// Resident memory of this process, from /proc/self/statm.
std::size_t resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::size_t pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * 4096;
}

// The golden case of `image` with the default model.
const testing::GoldenCase &golden(const std::string &image) {
    for (const auto &c : testing::golden_cases())
        if (c.image == image && c.model == testing::kDefaultModel) return c;
    FAIL("no golden case for " << image);
    throw;
}

}  // namespace

TEST_CASE("engine and output-kind names round-trip; unknown ones are refused", "[names]") {
    for (di_engine e : {DI_ENGINE_AUTO, DI_ENGINE_NATIVE, DI_ENGINE_LIBTORCH, DI_ENGINE_LIBTORCH_REFERENCE}) {
        di_engine back = di_engine(-1);
        REQUIRE(di_engine_from_name(di_engine_name(e), &back) == DI_OK);
        CHECK(back == e);
    }
    for (di_output_kind k : {DI_OUTPUT_AUTO, DI_OUTPUT_LOG_PROBABILITIES, DI_OUTPUT_LOGITS, DI_OUTPUT_PROBABILITIES}) {
        di_output_kind back = di_output_kind(-1);
        REQUIRE(di_output_kind_from_name(di_output_kind_name(k), &back) == DI_OK);
        CHECK(back == k);
    }
    CHECK(std::string(di_engine_name(DI_ENGINE_NATIVE)) == "native");
    CHECK(std::string(di_output_kind_name(DI_OUTPUT_LOGITS)) == "logits");
    CHECK(std::string(di_engine_name(di_engine(42))) == "unknown");
    CHECK(std::string(di_output_kind_name(di_output_kind(-3))) == "unknown");
    di_output_kind k{};
    CHECK(di_output_kind_from_name("log_softmax", &k) == DI_OK);
    CHECK(k == DI_OUTPUT_LOG_PROBABILITIES);
    di_engine e{};
    CHECK(di_engine_from_name("torch", &e) == DI_ERR_INVALID_ARGUMENT);
    CHECK(std::string(di_last_error_message()).find("\"torch\"") != std::string::npos);
    CHECK(di_engine_from_name(nullptr, &e) == DI_ERR_INVALID_ARGUMENT);
    CHECK(di_output_kind_from_name("softmax", nullptr) == DI_ERR_INVALID_ARGUMENT);
}

TEST_CASE("decode limits: images beyond max_pixels or max_encoded_bytes fail, smaller ones pass", "[limits]") {
    const auto big = golden("tests/data/images/1-RGB-640x480.png");
    const auto bytes = read_bytes(big.image);
    const std::size_t pixels = std::size_t(big.width) * std::size_t(big.height);
    for (auto [max_pixels, max_bytes, expected] :
         {std::tuple{pixels, bytes.size(), DI_OK}, std::tuple{pixels - 1, bytes.size(), DI_ERR_DECODE},
          std::tuple{pixels, bytes.size() - 1, DI_ERR_DECODE}}) {
        di_load_options o = di_load_options_default();
        o.max_pixels = max_pixels;
        o.max_encoded_bytes = max_bytes;
        const ModelPtr model(testing::kCompiledModel, &o);
        CHECK(info_of(model.m).max_pixels == max_pixels);
        CHECK(info_of(model.m).max_encoded_bytes == max_bytes);
        di_prediction p{};
        di_outputs out = di_outputs_default();
        out.predictions = &p;
        INFO("max_pixels " << max_pixels << ", max_encoded_bytes " << max_bytes);
        CHECK(di_model_predict_encoded(model.m, bytes.data(), bytes.size(), &out) == expected);
        if (expected == DI_OK) CHECK(p.class_index == big.digit);
        else CHECK(std::string(di_last_error_message()).find("limit") != std::string::npos);

        // The same cap applies to raw gray images.
        const std::vector<uint8_t> gray(pixels, 0);
        const di_gray_image g{gray.data(), big.width, big.height, std::size_t(big.width)};
        const di_status want = max_pixels < pixels ? DI_ERR_INVALID_ARGUMENT : DI_OK;
        CHECK(di_model_predict_gray(model.m, &g, &out) == want);
    }
}

TEST_CASE("decode limits: defaults are Pillow's cap and 1 GiB; out-of-range values are refused", "[limits]") {
    const di_load_options d = di_load_options_default();
    CHECK(d.max_pixels == 178956970u);  // Pillow 9: 2 * Image.MAX_IMAGE_PIXELS
    CHECK(d.max_encoded_bytes == DI_DEFAULT_MAX_ENCODED_BYTES);
    for (auto [pixels, bytes] : {std::pair<uint64_t, uint64_t>{0, 1}, {DI_DEFAULT_MAX_PIXELS + 1ull, 1}, {1, 0},
                                 {1, DI_DEFAULT_MAX_ENCODED_BYTES + 1ull}}) {
        di_load_options o = di_load_options_default();
        o.max_pixels = pixels;
        o.max_encoded_bytes = bytes;
        di_model *m = nullptr;
        CHECK(di_model_load_file(repo_path(testing::kCompiledModel).c_str(), &o, &m) == DI_ERR_INVALID_ARGUMENT);
        CHECK(m == nullptr);
    }
    // A 1.0 caller's shorter struct gets the default limits.
    di_load_options old = di_load_options_default();
    old.struct_size = offsetof(di_load_options, max_pixels);
    const ModelPtr model(testing::kCompiledModel, &old);
    CHECK(info_of(model.m).max_pixels == DI_DEFAULT_MAX_PIXELS);
}

TEST_CASE("per-image statuses: one bad image fails alone, the others are predicted as on their own", "[ex]") {
    const ModelPtr model(testing::kCompiledModel);
    const auto good_a = read_bytes("examples/images/digit-2.png"), good_b = read_bytes("examples/images/digit-7.png");
    const auto corrupt = read_bytes("tests/data/bad/corrupt.png");
    const di_encoded_image images[4] = {{good_a.data(), good_a.size()}, {corrupt.data(), corrupt.size()},
                                        {good_b.data(), good_b.size()}, {"", 0}};
    di_prediction predictions[4];
    float probs[40];
    di_status statuses[4];
    const char *messages[4];
    di_results r = di_results_default();
    r.predictions = predictions;
    r.probabilities = probs;
    r.scores_capacity = 40;
    r.statuses = statuses;
    r.messages = messages;
    REQUIRE(di_model_predict_encoded_ex(model.m, images, 4, nullptr, &r) == DI_OK);
    CHECK(statuses[0] == DI_OK);
    CHECK(statuses[1] == DI_ERR_DECODE);
    CHECK(statuses[2] == DI_OK);
    CHECK(statuses[3] == DI_ERR_DECODE);
    CHECK(std::string(messages[0]).empty());
    CHECK(std::string(messages[1]).find("PNG") != std::string::npos);
    CHECK(std::string(messages[3]).find("no bytes") != std::string::npos);
    CHECK(predictions[1].class_index == -1);
    CHECK(std::isnan(probs[10]));
    for (int i : {0, 2}) {
        di_prediction alone{};
        di_outputs out = di_outputs_default();
        out.predictions = &alone;
        REQUIRE(di_model_predict_encoded(model.m, images[i].data, images[i].size, &out) == DI_OK);
        CHECK(predictions[i].class_index == alone.class_index);
        CHECK(predictions[i].probability == Approx(alone.probability).margin(1e-6));
    }
    CHECK(predictions[0].class_index == 2);
    CHECK(predictions[2].class_index == 7);

    // Without statuses the first bad image fails the call, as in 1.0.
    r.statuses = nullptr;
    CHECK(di_model_predict_encoded_ex(model.m, images, 4, nullptr, &r) == DI_ERR_DECODE);
    CHECK(std::string(di_last_error_message()).find("image 1") != std::string::npos);
}

TEST_CASE("per-image statuses on gray and tensor batches", "[ex]") {
    const ModelPtr model(testing::kCompiledModel);
    std::vector<uint8_t> pixels(28 * 28, 255);
    const di_gray_image gray[3] = {{pixels.data(), 28, 28, 28}, {pixels.data(), 28, 28, 3}, {nullptr, 28, 28, 28}};
    di_status statuses[3];
    di_results r = di_results_default();
    r.statuses = statuses;
    REQUIRE(di_model_predict_gray_ex(model.m, gray, 3, nullptr, &r) == DI_OK);
    CHECK(statuses[0] == DI_OK);
    CHECK(statuses[1] == DI_ERR_INVALID_ARGUMENT);
    CHECK(statuses[2] == DI_ERR_INVALID_ARGUMENT);

    std::vector<float> tensors(2 * 784, 0.5f);
    tensors[784 + 3] = INFINITY;
    di_prediction predictions[2];
    r.predictions = predictions;
    REQUIRE(di_model_predict_tensor_ex(model.m, tensors.data(), tensors.size(), 2, nullptr, &r) == DI_OK);
    CHECK(statuses[0] == DI_OK);
    CHECK(statuses[1] == DI_ERR_INVALID_ARGUMENT);
    CHECK(predictions[1].class_index == -1);
    di_prediction alone{};
    di_outputs out = di_outputs_default();
    out.predictions = &alone;
    REQUIRE(di_model_predict_tensor(model.m, tensors.data(), 784, 1, &out) == DI_OK);
    CHECK(predictions[0].class_index == alone.class_index);
    CHECK(predictions[0].probability == Approx(alone.probability).margin(1e-6));  // batch kernels round differently
    CHECK(tensors[784 + 3] == INFINITY);  // the caller's input is not touched
    CHECK(di_model_predict_tensor_ex(model.m, tensors.data(), 784, 2, nullptr, &r) == DI_ERR_INVALID_ARGUMENT);
}

TEST_CASE("per-call threads give the same results; bad option structs are refused", "[ex]") {
    const ModelPtr model(testing::kCompiledModel);
    std::vector<std::vector<uint8_t>> files;
    std::vector<di_encoded_image> images;
    for (const auto &c : testing::golden_cases())
        if (c.model == testing::kDefaultModel && files.size() < 24) files.push_back(read_bytes(c.image));
    for (const auto &f : files) images.push_back({f.data(), f.size()});
    std::vector<float> first, probs(images.size() * 10);
    for (int threads : {1, 2, 3, 0}) {
        di_predict_options o = di_predict_options_default();
        o.num_threads = threads;
        di_results r = di_results_default();
        r.probabilities = probs.data();
        r.scores_capacity = probs.size();
        REQUIRE(di_model_predict_encoded_ex(model.m, images.data(), images.size(), &o, &r) == DI_OK);
        if (first.empty()) first = probs;
        CHECK(probs == first);
    }
    di_predict_options bad = di_predict_options_default();
    bad.num_threads = -1;
    di_results r = di_results_default();
    CHECK(di_model_predict_encoded_ex(model.m, images.data(), 1, &bad, &r) == DI_ERR_INVALID_ARGUMENT);
    bad = di_predict_options_default();
    bad.struct_size = 0;
    CHECK(di_model_predict_encoded_ex(model.m, images.data(), 1, &bad, &r) == DI_ERR_INVALID_ARGUMENT);
    r.struct_size = 0;
    CHECK(di_model_predict_encoded_ex(model.m, images.data(), 1, nullptr, &r) == DI_ERR_INVALID_ARGUMENT);
    CHECK(di_model_predict_encoded_ex(model.m, images.data(), 1, nullptr, nullptr) == DI_ERR_INVALID_ARGUMENT);
    CHECK(di_model_predict_encoded_ex(model.m, images.data(), DI_MAX_BATCH + 1, nullptr, &r) ==
          DI_ERR_INVALID_ARGUMENT);
}

TEST_CASE("a batch beyond the 16 MiB cap does not pin its buffers on the calling thread", "[memory]") {
    di_load_options o = di_load_options_default();
    o.num_threads = 1;
    const ModelPtr model(testing::kCompiledModel, &o);
    std::vector<uint8_t> pixels(28 * 28, 0);
    // 16384 x 784 floats = 51 MB of tensors, three times the cap (a maximum batch would be 205 MB).
    constexpr std::size_t kCount = 16384;
    const std::vector<di_gray_image> images(kCount, di_gray_image{pixels.data(), 28, 28, 28});
    di_results r = di_results_default();
    std::vector<di_prediction> predictions(kCount);
    r.predictions = predictions.data();
    REQUIRE(di_model_predict_gray_ex(model.m, images.data(), 1, nullptr, &r) == DI_OK);
    const std::size_t before = resident_bytes();
    REQUIRE(di_model_predict_gray_ex(model.m, images.data(), images.size(), nullptr, &r) == DI_OK);
    const std::size_t after = resident_bytes();
    INFO("resident before " << before << " bytes, after " << after);
    CHECK(after < before + (std::size_t(24) << 20));
    CHECK(predictions.back().class_index == predictions.front().class_index);
}

TEST_CASE("model info reports the model's thread count", "[ex]") {
    di_load_options o = di_load_options_default();
    o.num_threads = 3;
    const ModelPtr three(testing::kCompiledModel, &o);
    CHECK(info_of(three.m).num_threads == 3);
    const ModelPtr all(testing::kCompiledModel);
    CHECK(info_of(all.m).num_threads >= 1);
}

TEST_CASE("has_metadata: a .dimodel says whether its source model carried metadata", "[native_file][torch]") {
    const ModelPtr with(testing::kCompiledModel);
    CHECK(info_of(with.m).has_metadata == 1);
    const ModelPtr source("tests/data/models/convnet-nometa.traced.pt");
    REQUIRE(info_of(source.m).has_metadata == 0);
    const std::string path = std::string(DIGITINFER_BINARY_DIR) + "/nometa.dimodel";
    REQUIRE(di_model_export_native(source.m, path.c_str()) == DI_OK);
    di_model *compiled = nullptr;
    REQUIRE(di_model_load_file(path.c_str(), nullptr, &compiled) == DI_OK);
    CHECK(info_of(compiled).has_metadata == 0);
    di_model_free(compiled);
    std::remove(path.c_str());
}
