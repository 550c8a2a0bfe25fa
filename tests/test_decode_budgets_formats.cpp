// Decode budgets of the JPEG, GIF and BMP decoders: inputs that cost seconds
// and gigabytes without the limits are refused, or decoded within them. The
// large ones are written at test time by tools/hostile_images.py --bombs (a
// CTest fixture, tests/CMakeLists.txt); bench/decode_budgets/measure.py formats
// measures their time and memory. Here only statuses are asserted.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "digitinfer/digitinfer.hpp"
#include "shared_model.hpp"
#include "support.hpp"

namespace {

// The status of preprocessing the bytes, or the file at an absolute path.
template <typename Input>
di_status preprocess_status(const digitinfer::Model &model, const Input &input) {
    try {
        if constexpr (std::is_same_v<Input, std::string>)
            model.preprocess_file(input);
        else
            model.preprocess_encoded(input.data(), input.size());
    } catch (const digitinfer::Error &e) {
        return e.code();
    }
    return DI_OK;
}

}  // namespace

TEST_CASE("max_jpeg_scans refuses a progressive JPEG with more scans, and only then", "[decode_budgets][jpeg]") {
    // 60 scans, each the first scan's header without data: Pillow decodes it.
    const auto bytes = testing::read_bytes("tests/data/pillow-corpus/jpeg/progressive-60-empty-scans.jpg");
    CHECK(preprocess_status(testing::shared_model(testing::kDefaultModel), bytes) == DI_OK);
    for (const uint32_t limit : {1u, 59u, 60u}) {
        INFO("max_jpeg_scans " << limit);
        digitinfer::LoadOptions options;
        options.max_jpeg_scans = limit;
        const digitinfer::Model model(testing::repo_path(testing::stand_in(testing::kDefaultModel)), options);
        CHECK(preprocess_status(model, bytes) == (limit >= 60 ? DI_OK : DI_ERR_DECODE));
    }
}

// Hidden from the default run: needs DIGITINFER_DECODE_BOMBS, the folder the fixture writes.
TEST_CASE("decode bombs are refused by the limits or decoded within them", "[.][decode_bombs]") {
    const char *dir = std::getenv("DIGITINFER_DECODE_BOMBS");
    REQUIRE(dir != nullptr);
    const auto &model = testing::shared_model(testing::kDefaultModel);
    const std::pair<const char *, di_status> cases[] = {
        {"jpeg-progressive-2000-scans-13376x13376.jpg", DI_ERR_DECODE},     // past max_jpeg_scans (100)
        {"jpeg-progressive-20000-scans-1024x1024.jpg", DI_ERR_DECODE},      // likewise (at the limit: see
                                                                            // bench/decode_budgets/measure.py formats)
        {"gif-screen-13377x13377.gif", DI_OK},                              // one byte a screen pixel
        {"bmp-header-only-24bpp-13376x13376.bmp", DI_ERR_DECODE},           // truncated: no pixel data
        {"bmp-v4-header-only-64bpp-compression-2pow31-13376x13376.bmp", DI_ERR_DECODE},  // no such depth
    };
    for (const auto &[name, expected] : cases) {
        INFO(name);
        CHECK(preprocess_status(model, std::string(dir) + "/" + name) == expected);
    }
}
