// PNG unfiltering on its own (the internal digitinfer_image target): the SIMD Paeth filter
// against the scalar one, which follows the PNG specification's predictor word for word.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "image/png_rows.hpp"

using digitinfer::core::png::unfilter;

TEST_CASE("the SIMD Paeth filter gives the scalar filter's bytes for every pixel size", "[png]") {
    uint32_t state = 2024;
    auto next = [&] { return uint8_t((state = state * 1664525u + 1013904223u) >> 24); };
    for (std::size_t bpp : {1, 2, 3, 4, 6, 8}) {
        for (int round = 0; round < 200; ++round) {
            const std::size_t n = bpp * (1 + std::size_t(next()) % 64);
            std::vector<uint8_t> prior(n), row(n);
            // Small ranges make ties between the three distances common; full ranges the rest.
            const int range = round % 3 == 0 ? 3 : 256;
            for (auto *v : {&prior, &row})
                for (uint8_t &b : *v) b = uint8_t(next() % range);
            std::vector<uint8_t> simd = row, scalar = row;
            REQUIRE(unfilter(4, simd.data(), prior.data(), n, bpp, true));
            REQUIRE(unfilter(4, scalar.data(), prior.data(), n, bpp, false));
            INFO("bpp " << bpp << ", " << n << " bytes, round " << round);
            REQUIRE(simd == scalar);
        }
    }
}
