#include "pipeline.hpp"

#include <algorithm>
#include <exception>
#include <mutex>
#include <string>

#include "decode.hpp"
#include "failure.hpp"
#include "grayscale.hpp"
#include "postprocess.hpp"
#include "resize.hpp"

namespace digitinfer {

Pipeline::Pipeline(std::unique_ptr<Network> network)
    : network_(std::move(network)), normalizer_(network_->metadata().mean, network_->metadata().std) {}

std::size_t Pipeline::image_size() const { return std::size_t(metadata().height) * std::size_t(metadata().width); }

std::size_t Pipeline::tensor_size() const { return image_size() * std::size_t(metadata().channels); }

void Pipeline::preprocess(const di_encoded_image &encoded, uint8_t *image) const {
    if (encoded.size == 0) fail(DI_ERR_DECODE, "cannot decode image: no bytes");
    if (!encoded.data) fail(DI_ERR_INVALID_ARGUMENT, "image data is NULL");
    GrayImage gray = to_grayscale(decode_image(static_cast<const uint8_t *>(encoded.data), encoded.size));
    resize_bilinear_antialiased(gray.pixels.data(), gray.width, gray.height, std::size_t(gray.width), image,
                                metadata().width, metadata().height);
}

void Pipeline::preprocess(const di_gray_image &gray, uint8_t *image) const {
    if (!gray.pixels) fail(DI_ERR_INVALID_ARGUMENT, "gray image pixels are NULL");
    if (gray.width <= 0 || gray.height <= 0 || std::size_t(gray.width) * std::size_t(gray.height) > kMaxImagePixels)
        fail(DI_ERR_INVALID_ARGUMENT, "gray image size " + std::to_string(gray.width) + "x" +
                                          std::to_string(gray.height) + " is out of range");
    if (gray.stride < std::size_t(gray.width))
        fail(DI_ERR_INVALID_ARGUMENT, "gray image stride " + std::to_string(gray.stride) + " is below its width");
    resize_bilinear_antialiased(gray.pixels, gray.width, gray.height, gray.stride, image, metadata().width,
                                metadata().height);
}

void Pipeline::normalize(const uint8_t *image, float *tensor) const {
    for (int c = 0; c < metadata().channels; ++c) normalizer_.apply(image, image_size(), tensor + c * image_size());
}

namespace {

// Per-thread buffers, grown once and reused: steady-state calls on the gray
// and tensor paths do not allocate (decoders still do, for encoded images).
struct Scratch {
    std::vector<uint8_t> image;
    std::vector<float> batch, scores;
};

Scratch &scratch() {
    thread_local Scratch s;
    return s;
}

template <class T>
T *at_least(std::vector<T> &buffer, std::size_t n) {
    if (buffer.size() < n) buffer.resize(n);
    return buffer.data();
}

}  // namespace

template <class Input>
const float *Pipeline::predict_images(const Input *images, std::size_t count) const {
    float *batch = at_least(scratch().batch, count * tensor_size());
    // Images are preprocessed in parallel; the first failure (lowest index) is reported.
    std::mutex mutex;
    std::exception_ptr failure;
    std::size_t failed = count;
    const int threads = int(std::min<std::size_t>(count, std::size_t(network_->threads())));
#pragma omp parallel for num_threads(threads) schedule(dynamic) if (threads > 1)
    for (long i = 0; i < long(count); ++i) {
        try {
            uint8_t *image = at_least(scratch().image, image_size());
            preprocess(images[i], image);
            normalize(image, batch + std::size_t(i) * tensor_size());
        } catch (...) {
            std::lock_guard<std::mutex> lock(mutex);
            if (std::size_t(i) < failed) failed = std::size_t(i), failure = std::current_exception();
        }
    }
    if (failure) {
        try {
            std::rethrow_exception(failure);
        } catch (const Failure &e) {
            if (count == 1) throw;
            fail(e.status(), "image " + std::to_string(failed) + ": " + e.what());
        }
    }
    return predict(batch, count);
}

const float *Pipeline::predict(const di_encoded_image *images, std::size_t count) const {
    return predict_images(images, count);
}

const float *Pipeline::predict(const di_gray_image *images, std::size_t count) const {
    return predict_images(images, count);
}

const float *Pipeline::predict(const float *tensors, std::size_t count) const {
    const std::size_t classes = std::size_t(num_classes());
    float *scores = at_least(scratch().scores, count * classes);
    network_->forward(tensors, count, scores);
    for (std::size_t i = 0; i < count; ++i) to_log_probabilities(scores + i * classes, classes, metadata().output);
    return scores;
}

}  // namespace digitinfer
