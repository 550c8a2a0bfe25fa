// libFuzzer target: untrusted image bytes through the torch-free preprocessing
// stages for a 28x28 model: decode_image -> to_grayscale -> resize_bilinear_antialiased, and
// against it decode_gray (what Pipeline::preprocess runs) and the scalar resize.
//
// A digitinfer::Failure is the expected outcome for bad input. Anything else
// — another exception, a crash, a sanitizer report, a broken invariant below,
// a hang (-timeout) or a blown memory budget (-rss_limit_mb) — is a bug.
// Built as a fuzzer with clang (-fsanitize=fuzzer,address,undefined), or with
// replay_main.cpp as a plain program that replays files (tests/fuzz/replay.cmake).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "image/decode.hpp"
#include "common/failure.hpp"
#include "image/grayscale.hpp"
#include "image/image.hpp"
#include "image/resize.hpp"

namespace {

[[noreturn]] void broken(const char *what) {
    std::fprintf(stderr, "fuzz_decode: invariant broken: %s\n", what);
    std::abort();
}

// decode_gray must be to_grayscale(decode_image(...)) byte for byte, or refuse where it refuses.
void check_decode_gray(const uint8_t *data, std::size_t size, const digitinfer::core::GrayImage *expected) {
    using namespace digitinfer::core;
    try {
        const GrayImage direct = decode_gray(data, size);
        if (!expected) broken("decode_gray accepts what decode_image refuses");
        if (direct.width != expected->width || direct.height != expected->height || direct.pixels != expected->pixels)
            broken("decode_gray differs from to_grayscale(decode_image)");
    } catch (const Failure &) {
        if (expected) broken("decode_gray refuses what decode_image accepts");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size) {
    using namespace digitinfer::core;
    constexpr int kOut = 28;
    GrayImage gray;
    bool decoded = false;
    try {
        Image image = decode_image(data, size);
        // What the next stages rely on (a short pixel vector would be read past its end).
        if (image.width <= 0 || image.height <= 0) broken("decoded size not positive");
        if (std::size_t(image.width) * std::size_t(image.height) > kMaxImagePixels) broken("more than kMaxImagePixels");
        if (image.channels < 1 || image.channels > 4) broken("channel count not in [1, 4]");
        if (image.cmyk && image.channels != 4) broken("CMYK without 4 channels");
        if (image.pixels.size() !=
            std::size_t(image.width) * std::size_t(image.height) * std::size_t(image.channels))
            broken("pixel buffer size differs from width x height x channels");
        gray = to_grayscale(std::move(image));
        if (gray.pixels.size() != std::size_t(gray.width) * std::size_t(gray.height))
            broken("gray buffer size differs from width x height");
        decoded = true;
        // The SIMD resize passes against the scalar ones (the same integer sums).
        std::vector<uint8_t> out(std::size_t(kOut) * kOut), scalar(out.size());
        resize_bilinear_antialiased(gray.pixels.data(), gray.width, gray.height, std::size_t(gray.width), out.data(),
                                    kOut, kOut);
        resize_bilinear_antialiased(gray.pixels.data(), gray.width, gray.height, std::size_t(gray.width),
                                    scalar.data(), kOut, kOut, false);
        if (out != scalar) broken("the SIMD resize differs from the scalar resize");
    } catch (const Failure &) {
        // A clear error: what bad input must get.
    }
    check_decode_gray(data, size, decoded ? &gray : nullptr);
    return 0;
}
