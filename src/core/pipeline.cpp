#include "core/pipeline.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <mutex>
#include <string>

#include "common/failure.hpp"
#include "core/postprocess.hpp"
#include "core/scratch.hpp"
#include "engine/fork_safety.hpp"
#include "engine/thread_pool.hpp"
#include "image/decode.hpp"
#include "image/grayscale.hpp"
#include "image/resize.hpp"

namespace digitinfer::core {

Pipeline::Pipeline(std::unique_ptr<Network> network, const DecodeLimits &limits)
    : network_(std::move(network)),
      normalizer_(network_->metadata().mean, network_->metadata().std),
      limits_(limits) {}

std::size_t Pipeline::image_size() const { return std::size_t(metadata().height) * std::size_t(metadata().width); }

std::size_t Pipeline::tensor_size() const { return image_size() * std::size_t(metadata().channels); }

void Pipeline::preprocess(const di_encoded_image &encoded, uint8_t *image) const {
    if (!encoded.data) fail(DI_ERR_INVALID_ARGUMENT, "image data is NULL");
    if (encoded.size == 0) fail(DI_ERR_DECODE, "cannot decode image: no bytes");
    GrayImage gray = decode_gray(static_cast<const uint8_t *>(encoded.data), encoded.size, limits_);
    resize_bilinear_antialiased(gray.pixels.data(), gray.width, gray.height, std::size_t(gray.width), image,
                                metadata().width, metadata().height);
}

void Pipeline::preprocess(const di_gray_image &gray, uint8_t *image) const {
    if (!gray.pixels) fail(DI_ERR_INVALID_ARGUMENT, "gray image pixels are NULL");
    if (gray.width <= 0 || gray.height <= 0 || std::size_t(gray.width) * std::size_t(gray.height) > limits_.max_pixels)
        fail(DI_ERR_INVALID_ARGUMENT, "gray image size " + std::to_string(gray.width) + "x" +
                                          std::to_string(gray.height) + " is out of range (limit " +
                                          std::to_string(limits_.max_pixels) + " pixels)");
    if (gray.stride < std::size_t(gray.width))
        fail(DI_ERR_INVALID_ARGUMENT, "gray image stride " + std::to_string(gray.stride) + " is below its width");
    // The image spans stride * (height - 1) + width bytes: no buffer holds more than PTRDIFF_MAX
    // or ends past the address space (an overflowing span would read outside the caller's buffer).
    const std::size_t width = std::size_t(gray.width), gaps = std::size_t(gray.height) - 1;
    const bool spans = gaps == 0 || gray.stride <= (std::size_t(PTRDIFF_MAX) - width) / gaps;
    if (!spans || gray.stride * gaps + width > UINTPTR_MAX - reinterpret_cast<std::uintptr_t>(gray.pixels))
        fail(DI_ERR_INVALID_ARGUMENT, "gray image stride " + std::to_string(gray.stride) + " with " +
                                          std::to_string(gray.height) + " rows spans more memory than there is");
    resize_bilinear_antialiased(gray.pixels, gray.width, gray.height, gray.stride, image, metadata().width,
                                metadata().height);
}

void Pipeline::normalize(const uint8_t *image, float *tensor) const {
    for (int c = 0; c < metadata().channels; ++c) normalizer_.apply(image, image_size(), tensor + c * image_size());
}

namespace {

// The first failure of a batch (lowest index), kept while threads run on.
class FirstFailure {
public:
    void record(std::size_t index) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (index < index_) index_ = index, failure_ = std::current_exception();
    }
    // Rethrows it, naming the image when the batch has more than one.
    void rethrow(std::size_t count) const {
        if (!failure_) return;
        try {
            std::rethrow_exception(failure_);
        } catch (const Failure &e) {
            if (count == 1) throw;
            fail(e.status(), "image " + std::to_string(index_) + ": " + e.what());
        }
    }

private:
    std::mutex mutex_;
    std::exception_ptr failure_;
    std::size_t index_ = SIZE_MAX;
};

// Fills `outcome` from the exception being handled.
void record_outcome(ItemOutcome &outcome) {
    try {
        throw;
    } catch (const Failure &e) {
        outcome = {e.status(), e.what()};
    } catch (const std::bad_alloc &) {
        outcome = {DI_ERR_OUT_OF_MEMORY, "out of memory"};
    } catch (const std::exception &e) {
        outcome = {DI_ERR_INTERNAL, std::string("internal error: ") + e.what()};
    }
}

// What preprocessing's work grows with: encoded bytes, or pixels.
std::size_t preprocessing_work(const di_encoded_image &image) { return image.size; }
std::size_t preprocessing_work(const di_gray_image &image) {
    return std::size_t(std::max(0, image.width)) * std::size_t(std::max(0, image.height));
}

// One thread per 16 KiB (or 16 Ki pixels) of input, at most `threads`: a batch of
// a few small images is decoded faster by the calling thread alone than with a
// worker woken for it (docs/benchmarks.md, "Threads").
template <class Input>
int preprocessing_threads(const Input *images, std::size_t count, int threads) {
    constexpr std::size_t kWorkPerThread = 16384;
    std::size_t work = 0;
    for (std::size_t i = 0; i < count && work < std::size_t(threads) * kWorkPerThread; ++i)
        work += preprocessing_work(images[i]);
    return int(std::clamp<std::size_t>(work / kWorkPerThread, 1, std::size_t(std::max(1, threads))));
}

}  // namespace

template <class Input>
const float *Pipeline::predict_images(const Input *images, std::size_t count, int threads,
                                      ItemOutcome *outcomes) const {
    float *batch = at_least(thread_scratch().batch, count * tensor_size());
    FirstFailure first;
    if (threads <= 0) threads = network_->threads();
    auto prepare = [&](std::size_t i) {
        float *tensor = batch + i * tensor_size();
        try {
            uint8_t *image = at_least(thread_scratch().image, image_size());
            preprocess(images[i], image);
            normalize(image, tensor);
        } catch (...) {
            if (!outcomes) return first.record(i);
            record_outcome(outcomes[i]);
            std::fill(tensor, tensor + tensor_size(), 0.0f);  // a valid input; its row is ignored
        }
    };
    // One task per image: the calling thread decodes what no idle worker has taken.
    engine::parallel_for(count, preprocessing_threads(images, count, threads), prepare);
    first.rethrow(count);
    return forward(batch, count, threads, outcomes);
}

const float *Pipeline::predict(const di_encoded_image *images, std::size_t count, int threads,
                               ItemOutcome *outcomes) const {
    return predict_images(images, count, threads, outcomes);
}

const float *Pipeline::predict(const di_gray_image *images, std::size_t count, int threads,
                               ItemOutcome *outcomes) const {
    return predict_images(images, count, threads, outcomes);
}

const float *Pipeline::predict(const float *tensors, std::size_t count, int threads, ItemOutcome *outcomes) const {
    const std::size_t n = tensor_size();
    float *copy = nullptr;  // the caller's tensors with the bad ones zeroed, made at the first bad one
    for (std::size_t i = 0; i < count; ++i) {
        const float *t = tensors + i * n;
        const float *bad = std::find_if(t, t + n, [](float v) { return !std::isfinite(v); });
        if (bad == t + n) continue;
        const std::string message = "tensor value " + std::to_string(bad - tensors) + " is not finite";
        if (!outcomes) fail(DI_ERR_INVALID_ARGUMENT, message);
        outcomes[i] = {DI_ERR_INVALID_ARGUMENT, message};
        if (!copy) {
            copy = at_least(thread_scratch().batch, count * n);
            std::copy(tensors, tensors + count * n, copy);
        }
        std::fill(copy + i * n, copy + (i + 1) * n, 0.0f);
    }
    return forward(copy ? copy : tensors, count, threads <= 0 ? network_->threads() : threads, outcomes);
}

const float *Pipeline::forward(const float *batch, std::size_t count, int threads, ItemOutcome *outcomes) const {
    const std::size_t classes = std::size_t(num_classes());
    float *scores = at_least(thread_scratch().scores, count * classes);
    network_->forward(batch, count, scores, engine::usable_threads(threads));
    for (std::size_t i = 0; i < count; ++i) {
        float *row = scores + i * classes;
        // Never DI_OK with NaN: a score that is not finite has no probability. With per-image
        // outcomes only that image fails (one caller's input must not fail a shared batch).
        if (const std::string bad = non_finite_scores(row, 1, classes, i); !bad.empty()) {
            if (!outcomes) fail(DI_ERR_INFERENCE, bad);
            if (outcomes[i].status == DI_OK) outcomes[i] = {DI_ERR_INFERENCE, bad};
            std::fill(row, row + classes, 0.0f);  // the row is not reported: keep the arithmetic finite
        }
        to_log_probabilities(row, classes, metadata().output);
    }
    return scores;
}

}  // namespace digitinfer::core
