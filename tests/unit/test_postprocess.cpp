// Stage 6 on its own: logits -> log-probabilities (src/core/postprocess.cpp).
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "core/postprocess.hpp"

using digitinfer::core::to_log_probabilities;

namespace {

double exp_sum(const std::vector<float> &log_probabilities) {
    double sum = 0;
    for (float v : log_probabilities) sum += std::exp(double(v));
    return sum;
}

}  // namespace

TEST_CASE("log_softmax of logits sums to 1 however large the logits", "[postprocess]") {
    // Found by fuzz_c_api: with a maximum of 3e35, max + log(sum) rounds back to max in float,
    // and the two tied classes both got probability 1.
    for (float big : {1.0f, 1e7f, 3e35f, 3.4e38f}) {
        std::vector<float> row{big, -big, big};
        to_log_probabilities(row.data(), row.size(), DI_OUTPUT_LOGITS);
        INFO("largest logit " << big);
        CHECK(row[0] == Approx(-std::log(2.0 + std::exp(-2.0 * big))).epsilon(1e-6));
        CHECK(row[2] == row[0]);
        CHECK(exp_sum(row) == Approx(1.0).epsilon(1e-6));
    }
}

TEST_CASE("log_softmax of ordinary logits is x - max - log(sum(exp(x - max)))", "[postprocess]") {
    const std::vector<float> logits{-3.5f, 0.25f, 7.0f, 6.9f, -40.0f, 1e-3f, 2.0f, 0.0f, -0.5f, 3.0f};
    double sum = 0;
    for (float x : logits) sum += std::exp(double(x) - 7.0);
    std::vector<float> row = logits;
    to_log_probabilities(row.data(), row.size(), DI_OUTPUT_LOGITS);
    for (std::size_t i = 0; i < row.size(); ++i)
        CHECK(row[i] == Approx(double(logits[i]) - 7.0 - std::log(sum)).margin(1e-6));
    CHECK(exp_sum(row) == Approx(1.0).epsilon(1e-6));
}
