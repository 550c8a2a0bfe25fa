// Batches equal one-by-one calls; one model serves many threads at once.
#include <catch2/catch.hpp>

#include <set>
#include <thread>

#include "digitinfer/digitinfer.hpp"
#include "support.hpp"

namespace {

std::vector<std::vector<uint8_t>> golden_images() {
    std::set<std::string> names;
    for (const auto &c : testing::golden_cases()) names.insert(c.image);
    std::vector<std::vector<uint8_t>> images;
    for (const auto &n : names) images.push_back(testing::read_bytes(n));
    return images;
}

void check_same(const digitinfer::Prediction &a, const digitinfer::Prediction &b, double margin) {
    CHECK(a.digit == b.digit);
    REQUIRE(a.probabilities.size() == b.probabilities.size());
    for (size_t k = 0; k < a.probabilities.size(); ++k)
        CHECK(a.probabilities[k] == Approx(b.probabilities[k]).margin(margin));
}

}  // namespace

TEST_CASE("a batch gives the same results as one image at a time", "[batch]") {
    const digitinfer::Model model(testing::repo_path(testing::stand_in(testing::kScriptedModel)));
    const auto images = golden_images();
    REQUIRE(images.size() >= 20);
    const auto batch = model.predict_encoded_batch(images);
    REQUIRE(batch.size() == images.size());
    for (size_t i = 0; i < images.size(); ++i) check_same(batch[i], model.predict_encoded(images[i]), 1e-5);
}

TEST_CASE("gray and tensor batches give the same results as single calls", "[batch]") {
    const digitinfer::Model model(testing::repo_path(testing::stand_in(testing::kTracedModel)));
    const auto images = golden_images();
    std::vector<digitinfer::Preprocessed> pre;
    std::vector<di_gray_image> grays;
    std::vector<float> tensors;
    for (const auto &img : images) pre.push_back(model.preprocess_encoded(img.data(), img.size()));
    for (const auto &p : pre) {
        grays.push_back({p.image.data(), p.width, p.height, size_t(p.width)});
        tensors.insert(tensors.end(), p.tensor.begin(), p.tensor.end());
    }
    const auto gray = model.predict_gray_batch(grays);
    const auto tensor = model.predict_tensor(tensors, images.size());
    for (size_t i = 0; i < images.size(); ++i) {
        const auto single = model.predict_encoded(images[i]);
        check_same(gray[i], single, 1e-5);
        check_same(tensor[i], single, 1e-5);
    }
}

TEST_CASE("8 threads sharing one model get the serial results", "[threads]") {
    const digitinfer::Model model(testing::repo_path(testing::stand_in(testing::kScriptedModel)));
    const auto images = golden_images();
    std::vector<digitinfer::Prediction> serial;
    for (const auto &img : images) serial.push_back(model.predict_encoded(img));

    constexpr int kThreads = 8, kRounds = 5;
    std::vector<std::vector<digitinfer::Prediction>> results(kThreads);
    std::vector<std::string> errors(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            try {
                for (int r = 0; r < kRounds; ++r)
                    for (size_t i = 0; i < images.size(); ++i) {
                        // Threads start at different images and mix single calls with batches.
                        const size_t k = (i + size_t(t) * 3) % images.size();
                        auto p = (r % 2) ? model.predict_encoded_batch({images[k]})[0] : model.predict_encoded(images[k]);
                        if (r == kRounds - 1) results[size_t(t)].push_back(std::move(p));
                    }
            } catch (const std::exception &e) {
                errors[size_t(t)] = e.what();
            }
        });
    }
    for (auto &th : threads) th.join();
    for (int t = 0; t < kThreads; ++t) {
        INFO("thread " << t);
        CHECK(errors[size_t(t)].empty());
        REQUIRE(results[size_t(t)].size() == images.size());
        for (size_t i = 0; i < images.size(); ++i)
            check_same(results[size_t(t)][i], serial[(i + size_t(t) * 3) % images.size()], 1e-6);
    }
}

TEST_CASE("error messages are per thread", "[threads]") {
    const digitinfer::Model model(testing::repo_path(testing::stand_in(testing::kTracedModel)));
    std::string seen_by_other;
    di_outputs out = di_outputs_default();
    REQUIRE(di_model_predict_encoded(model.get(), "garbage", 7, &out) == DI_ERR_DECODE);
    std::thread([&] { seen_by_other = di_last_error_message(); }).join();
    CHECK(seen_by_other.empty());
    CHECK_FALSE(std::string(di_last_error_message()).empty());
}
