// The header-only C++ wrapper: RAII, move-only handles, one exception type.
#include <catch2/catch.hpp>

#include <type_traits>

#include "digitinfer/digitinfer.hpp"
#include "support.hpp"

using digitinfer::Model;

static_assert(!std::is_copy_constructible_v<Model>, "Model is move-only");
static_assert(std::is_nothrow_move_constructible_v<Model>, "Model moves cheaply");

TEST_CASE("C++ Model predicts, moves and releases", "[cpp]") {
    Model model(testing::repo_path(testing::kScriptedModel));
    REQUIRE(model);
    const auto p = model.predict_file(testing::repo_path("examples/images/digit-7.png"));
    CHECK(p.digit == 7);
    CHECK(p.probability() > 0.5f);
    const auto top = p.top_k(3);
    REQUIRE(top.size() == 3);
    CHECK(top[0].index == 7);
    CHECK(top[0].probability >= top[1].probability);
    CHECK(top[1].probability >= top[2].probability);
    CHECK(p.top_k(100).size() == 10);

    Model moved = std::move(model);
    CHECK_FALSE(model);
    CHECK(moved);
    di_model *raw = moved.release();
    CHECK_FALSE(moved);
    Model adopted(raw);
    CHECK(adopted.predict_file(testing::repo_path("examples/images/digit-2.png")).digit == 2);
}

TEST_CASE("C++ Model from memory and info with labels", "[cpp]") {
    const auto bytes = testing::read_bytes(testing::kTracedModel);
    const Model model = Model::from_memory(bytes.data(), bytes.size());
    const auto info = model.info();
    CHECK(info.num_classes == 10);
    CHECK(info.labels.size() == 10);
    CHECK(info.labels[3] == "3");
    CHECK(info.has_metadata);
    CHECK(info.name == "digitinfer-convnet");
}

TEST_CASE("C++ errors carry the C status", "[cpp]") {
    try {
        Model bad(testing::repo_path("tests/data/bad/garbage.pt"));
        FAIL("garbage.pt loaded");
    } catch (const digitinfer::Error &e) {
        CHECK(e.code() == DI_ERR_MODEL);
        CHECK(std::string(e.what()).find("DI_ERR_MODEL") == 0);
    }
    const Model model(testing::repo_path(testing::kTracedModel));
    CHECK_THROWS_AS(model.predict_file("/no/such/file.png"), digitinfer::Error);
    try {
        model.predict_encoded(std::vector<uint8_t>{1, 2, 3});
        FAIL("decoded three bytes");
    } catch (const digitinfer::Error &e) {
        CHECK(e.code() == DI_ERR_DECODE);
    }
    const Model empty;
    CHECK_THROWS_AS(empty.info(), digitinfer::Error);  // an empty handle is refused, not dereferenced
}

TEST_CASE("version() matches the header", "[cpp]") { CHECK(digitinfer::version() == DI_VERSION_STRING); }
