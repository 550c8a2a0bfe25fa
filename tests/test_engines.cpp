// The execution engines: native kernels where the graph is recognized, libtorch
// otherwise, and agreement between them to 1e-5.
#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "digitinfer/digitinfer.hpp"
#include "support.hpp"

using digitinfer::LoadOptions;
using digitinfer::Model;

namespace {

Model load(const std::string &path, di_engine engine) {
    LoadOptions o;
    o.engine = engine;
    return Model(testing::repo_path(path), o);
}

void check_agree(const digitinfer::Prediction &a, const digitinfer::Prediction &b) {
    CHECK(a.digit == b.digit);
    for (size_t k = 0; k < a.log_probabilities.size(); ++k)
        CHECK(a.log_probabilities[k] == Approx(b.log_probabilities[k]).margin(1e-5));
}

}  // namespace

TEST_CASE("the default model runs on the native engine, and each engine can be forced", "[engine][torch]") {
    for (const char *path : {testing::kTracedModel, testing::kScriptedModel}) {
        INFO(path);
        const auto info = load(path, DI_ENGINE_AUTO).info();
        CHECK(info.engine == DI_ENGINE_NATIVE);
        CHECK(info.engine_note.empty());
        CHECK(load(path, DI_ENGINE_NATIVE).info().engine == DI_ENGINE_NATIVE);
        CHECK(load(path, DI_ENGINE_LIBTORCH).info().engine == DI_ENGINE_LIBTORCH);
        CHECK(load(path, DI_ENGINE_LIBTORCH_REFERENCE).info().engine == DI_ENGINE_LIBTORCH_REFERENCE);
    }
}

TEST_CASE("a graph the native engine does not support falls back to libtorch, saying why", "[engine][torch]") {
    const auto info = load(testing::kUnsupportedModel, DI_ENGINE_AUTO).info();
    CHECK(info.engine == DI_ENGINE_LIBTORCH);
    // Every unsupported operation is named, not just the first.
    CHECK(info.engine_note.find("aten::upsample_bilinear2d") != std::string::npos);
    CHECK(info.engine_note.find("aten::layer_norm") != std::string::npos);
    try {
        load(testing::kUnsupportedModel, DI_ENGINE_NATIVE);
        FAIL("DI_ENGINE_NATIVE loaded an unsupported graph");
    } catch (const digitinfer::Error &e) {
        CHECK(e.code() == DI_ERR_MODEL);
        CHECK(std::string(e.what()).find("aten::layer_norm") != std::string::npos);
    }
}

TEST_CASE("native, libtorch and the reference module agree to 1e-5 on the golden inputs", "[engine][torch]") {
    std::set<std::string> images;
    for (const auto &c : testing::golden_cases()) images.insert(c.image);
    for (const char *path : {testing::kTracedModel, testing::kScriptedModel, "tests/data/models/convnet-logits.scripted.pt"}) {
        const Model native = load(path, DI_ENGINE_NATIVE), torch = load(path, DI_ENGINE_LIBTORCH),
                    reference = load(path, DI_ENGINE_LIBTORCH_REFERENCE);
        for (const auto &image : images) {
            INFO(path << " on " << image);
            const auto bytes = testing::read_bytes(image);
            const auto expected = reference.predict_encoded(bytes);
            check_agree(native.predict_encoded(bytes), expected);
            check_agree(torch.predict_encoded(bytes), expected);
        }
    }
}

TEST_CASE("native and the reference module agree to 1e-5 on random inputs, single and batched", "[engine][torch]") {
    const Model native = load(testing::kScriptedModel, DI_ENGINE_NATIVE);
    const Model reference = load(testing::kScriptedModel, DI_ENGINE_LIBTORCH_REFERENCE);
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 1.5f);
    for (size_t batch : {size_t(1), size_t(3), size_t(64), size_t(257)}) {
        std::vector<float> x(batch * 784);
        for (float &v : x) v = normal(rng);
        const auto a = native.predict_tensor(x, batch), b = reference.predict_tensor(x, batch);
        for (size_t i = 0; i < batch; ++i) {
            INFO("batch " << batch << " image " << i);
            check_agree(a[i], b[i]);
        }
    }
}

TEST_CASE("an unknown engine value is refused", "[engine]") {
    di_load_options o = di_load_options_default();
    o.engine = 9;
    di_model *m = nullptr;
    CHECK(di_model_load_file(testing::repo_path(testing::stand_in(testing::kTracedModel)).c_str(), &o, &m) == DI_ERR_INVALID_ARGUMENT);
    CHECK(m == nullptr);
}
