// .dimodel files: a model compiled for the native engine, loadable without libtorch.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "digitinfer/digitinfer.hpp"
#include "support.hpp"

using digitinfer::Model;

namespace {

const char *kCompiled = "models/convnet.dimodel";

std::string temp_path(const char *name) { return std::string(DIGITINFER_BINARY_DIR) + "/" + name; }

std::vector<uint8_t> file_bytes(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

di_status load_bytes(const std::vector<uint8_t> &bytes) {
    di_model *m = nullptr;
    const di_status s = di_model_load_memory(bytes.data(), bytes.size(), nullptr, &m);
    di_model_free(m);
    return s;
}

}  // namespace

TEST_CASE("the committed .dimodel is what compiling the shipped TorchScript model gives", "[native_file][torch]") {
    for (const char *source : {testing::kScriptedModel, testing::kTracedModel}) {
        INFO(source);
        const std::string out = temp_path("compiled.dimodel");
        Model(testing::repo_path(source)).export_native(out);
        const bool same = file_bytes(out) == testing::read_bytes(kCompiled);  // (not printed: megabytes)
        CHECK(same);
    }
}

TEST_CASE("a format-1 .dimodel (written by DigitInfer 1.0) loads and predicts as today's format", "[native_file]") {
    const Model old(testing::repo_path("tests/data/models/convnet-format1.dimodel")), now(testing::repo_path(kCompiled));
    int checked = 0;
    for (const auto &c : testing::golden_cases()) {
        if (c.model != testing::kScriptedModel) continue;
        INFO(c.image);
        const auto bytes = testing::read_bytes(c.image);
        CHECK(old.predict_encoded(bytes).log_probabilities == now.predict_encoded(bytes).log_probabilities);
        ++checked;
    }
    CHECK(checked > 20);
}

TEST_CASE("a .dimodel predicts exactly as its TorchScript source on the native engine", "[native_file][torch]") {
    const Model compiled(testing::repo_path(kCompiled)), source(testing::repo_path(testing::kScriptedModel));
    const auto a = compiled.info(), b = source.info();
    CHECK(a.engine == DI_ENGINE_NATIVE);
    CHECK(a.name == b.name);
    CHECK(a.mean == b.mean);
    CHECK(a.std == b.std);
    CHECK(a.labels == b.labels);
    CHECK(a.output_kind == b.output_kind);
    CHECK(a.num_classes == b.num_classes);
    CHECK((a.height == b.height && a.width == b.width && a.channels == b.channels));
    int checked = 0;
    for (const auto &c : testing::golden_cases()) {
        if (c.model != testing::kScriptedModel) continue;
        INFO(c.image);
        const auto bytes = testing::read_bytes(c.image);
        const auto p = compiled.predict_encoded(bytes), q = source.predict_encoded(bytes);
        CHECK(p.digit == c.digit);
        CHECK(p.log_probabilities == q.log_probabilities);  // same kernels, same weights: bit for bit
        for (size_t k = 0; k < p.probabilities.size(); ++k)
            CHECK(p.probabilities[k] == Approx(c.probabilities[k]).margin(1e-5));
        ++checked;
    }
    CHECK(checked > 50);
}

TEST_CASE("a .dimodel loads from memory and refuses the libtorch engines", "[native_file]") {
    const auto bytes = testing::read_bytes(kCompiled);
    const Model m = Model::from_memory(bytes.data(), bytes.size());
    CHECK(m.predict_file(testing::repo_path("examples/images/digit-7.png")).digit == 7);
    for (di_engine e : {DI_ENGINE_LIBTORCH, DI_ENGINE_LIBTORCH_REFERENCE}) {
        di_load_options o = di_load_options_default();
        o.engine = e;
        di_model *model = nullptr;
        CHECK(di_model_load_memory(bytes.data(), bytes.size(), &o, &model) == DI_ERR_MODEL);
        CHECK(std::string(di_last_error_message()).find("native engine only") != std::string::npos);
    }
}

TEST_CASE("truncated, corrupted and altered .dimodel files give DI_ERR_MODEL", "[native_file][bad]") {
    const auto good = testing::read_bytes(kCompiled);
    for (size_t n = 8; n < good.size(); n += n < 4096 ? 1 : 4099) {
        const std::vector<uint8_t> prefix(good.begin(), good.begin() + std::ptrdiff_t(n));
        REQUIRE(load_bytes(prefix) == DI_ERR_MODEL);
    }
    for (size_t at : {size_t(8), size_t(12), size_t(40), good.size() / 2, good.size() - 9, good.size() - 1}) {
        auto flipped = good;
        flipped[at] ^= 0x20;
        INFO("byte " << at);
        CHECK(load_bytes(flipped) == DI_ERR_MODEL);
        CHECK(std::string(di_last_error_message()).find("dimodel") != std::string::npos);
    }
    auto longer = good;
    longer.push_back(0);
    CHECK(load_bytes(longer) == DI_ERR_MODEL);
}

TEST_CASE("export refuses models that do not run natively and unwritable paths", "[native_file][bad][torch]") {
    const Model unsupported(testing::repo_path(testing::kUnsupportedModel));
    CHECK(di_model_export_native(unsupported.get(), temp_path("x.dimodel").c_str()) == DI_ERR_MODEL);
    CHECK(std::string(di_last_error_message()).find("aten::upsample_bilinear2d") != std::string::npos);
    const Model model(testing::repo_path(kCompiled));
    CHECK(di_model_export_native(model.get(), "/nonexistent-dir/x.dimodel") == DI_ERR_IO);
    CHECK(di_model_export_native(nullptr, "x") == DI_ERR_INVALID_ARGUMENT);
    CHECK(di_model_export_native(model.get(), nullptr) == DI_ERR_INVALID_ARGUMENT);
}
