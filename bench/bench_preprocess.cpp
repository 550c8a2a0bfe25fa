// Preprocessing stages and PNG decoders, one image at a time on one thread:
// our libdeflate-based PNG decoder against stb_image and libpng (decoders are
// compared on the same bytes, each to its native channel layout), then
// grayscale, resize and the whole preprocess. Images: tests/data and examples.
#include <benchmark/benchmark.h>
#include <png.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "image/decode.hpp"
#include "image/formats.hpp"
#include "image/grayscale.hpp"
#include "image/resize.hpp"

#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#include <stb/stb_image.h>

namespace {

using namespace digitinfer::core;

const char *kImages[] = {"examples/images/digit-2.png", "tests/data/images/5-RGBA-251x248.png",
                         "tests/data/images/1-RGB-640x480.png"};

std::vector<uint8_t> bytes_of(int index) {
    std::ifstream in(std::string(DIGITINFER_SOURCE_DIR) + "/" + kImages[index], std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void label(benchmark::State &state, const std::vector<uint8_t> &bytes) {
    const Image img = decode_png(bytes.data(), bytes.size(), kMaxImagePixels);
    state.SetLabel(std::to_string(img.width) + "x" + std::to_string(img.height) + "x" + std::to_string(img.channels));
    state.SetItemsProcessed(state.iterations());
}

void BM_decode_png_ours(benchmark::State &state) {
    const auto bytes = bytes_of(int(state.range(0)));
    for (auto _ : state) benchmark::DoNotOptimize(decode_png(bytes.data(), bytes.size(), kMaxImagePixels));
    label(state, bytes);
}

void BM_decode_png_stb(benchmark::State &state) {
    const auto bytes = bytes_of(int(state.range(0)));
    for (auto _ : state) {
        int w, h, n;
        stbi_uc *p = stbi_load_from_memory(bytes.data(), int(bytes.size()), &w, &h, &n, 0);
        benchmark::DoNotOptimize(p);
        stbi_image_free(p);
    }
    label(state, bytes);
}

void BM_decode_png_libpng(benchmark::State &state) {
    const auto bytes = bytes_of(int(state.range(0)));
    std::vector<uint8_t> out;
    for (auto _ : state) {
        png_image image{};
        image.version = PNG_IMAGE_VERSION;
        png_image_begin_read_from_memory(&image, bytes.data(), bytes.size());
        image.format = PNG_IMAGE_PIXEL_CHANNELS(image.format) == 4 ? PNG_FORMAT_RGBA : image.format;
        out.resize(PNG_IMAGE_SIZE(image));
        png_image_finish_read(&image, nullptr, out.data(), 0, nullptr);
        png_image_free(&image);
        benchmark::DoNotOptimize(out.data());
    }
    label(state, bytes);
}

void BM_grayscale(benchmark::State &state) {
    const auto bytes = bytes_of(int(state.range(0)));
    const Image img = decode_png(bytes.data(), bytes.size(), kMaxImagePixels);
    for (auto _ : state) {
        state.PauseTiming();  // to_grayscale consumes its input: copy it untimed
        Image copy = img;
        state.ResumeTiming();
        benchmark::DoNotOptimize(to_grayscale(std::move(copy)));
    }
    label(state, bytes);
}

void BM_resize_to_28(benchmark::State &state) {
    const auto bytes = bytes_of(int(state.range(0)));
    const GrayImage g = to_grayscale(decode_png(bytes.data(), bytes.size(), kMaxImagePixels));
    uint8_t out[28 * 28];
    for (auto _ : state) {
        resize_bilinear_antialiased(g.pixels.data(), g.width, g.height, std::size_t(g.width), out, 28, 28);
        benchmark::DoNotOptimize(out);
    }
    label(state, bytes);
}

void BM_decode_gray_resize(benchmark::State &state) {
    const auto bytes = bytes_of(int(state.range(0)));
    uint8_t out[28 * 28];
    for (auto _ : state) {
        const GrayImage g = to_grayscale(decode_image(bytes.data(), bytes.size()));
        resize_bilinear_antialiased(g.pixels.data(), g.width, g.height, std::size_t(g.width), out, 28, 28);
        benchmark::DoNotOptimize(out);
    }
    label(state, bytes);
}

}  // namespace

BENCHMARK(BM_decode_png_ours)->DenseRange(0, 2);
BENCHMARK(BM_decode_png_stb)->DenseRange(0, 2);
BENCHMARK(BM_decode_png_libpng)->DenseRange(0, 2);
BENCHMARK(BM_grayscale)->DenseRange(0, 2);
BENCHMARK(BM_resize_to_28)->DenseRange(0, 2);
BENCHMARK(BM_decode_gray_resize)->DenseRange(0, 2);
BENCHMARK_MAIN();
