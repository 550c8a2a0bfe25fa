// `digitinfer predict IMAGE...`: classify image files, one result per image.
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "json_number.hpp"
#include "model_locator.hpp"

namespace cli {
namespace {

struct PredictOptions {
    std::vector<std::string> images;
    ModelOptions model;
    int top_k = 0;  // 0: only the best class
    bool json = false;
    bool batch = false;
};

// The result for one image: a prediction, or the error that prevented it.
struct Outcome {
    std::string path;
    std::optional<digitinfer::Prediction> prediction;
    std::string error;
};

// Runs `predict` for `path`, turning a library error into an error outcome.
template <class Predict>
Outcome attempt(const std::string &path, Predict predict) {
    try {
        return {path, predict(), {}};
    } catch (const digitinfer::Error &e) {
        return {path, std::nullopt, e.what()};
    }
}

std::vector<Outcome> predict_one_by_one(const digitinfer::Model &model, const std::vector<std::string> &paths) {
    std::vector<Outcome> outcomes;
    for (const auto &path : paths) outcomes.push_back(attempt(path, [&] { return model.predict_file(path); }));
    return outcomes;
}

// One batched forward for every readable file. A batch fails as a whole, so
// when it does we predict its images one by one to name the culprit(s).
std::vector<Outcome> predict_batched(const digitinfer::Model &model, const std::vector<std::string> &paths) {
    std::vector<Outcome> outcomes;
    std::vector<std::vector<uint8_t>> files;
    std::vector<std::size_t> readable;  // indexes into outcomes, parallel to files
    for (const auto &path : paths) {
        outcomes.push_back({path, std::nullopt, {}});
        try {
            files.push_back(digitinfer::detail::read_file(path));
            readable.push_back(outcomes.size() - 1);
        } catch (const digitinfer::Error &e) {
            outcomes.back().error = e.what();
        }
    }
    if (files.empty()) return outcomes;
    try {
        auto predictions = model.predict_encoded_batch(files);
        for (std::size_t i = 0; i < files.size(); ++i) outcomes[readable[i]].prediction = std::move(predictions[i]);
    } catch (const digitinfer::Error &) {
        for (std::size_t i = 0; i < files.size(); ++i)
            outcomes[readable[i]] = attempt(paths[readable[i]], [&] { return model.predict_encoded(files[i]); });
    }
    return outcomes;
}

std::string format_probability(float p) {
    char text[32];
    std::snprintf(text, sizeof text, "%.4f", double(p));
    return text;
}

// "<path>: 7 (p=0.9987)", or with --top-k 3 "<path>: 7 (p=0.9987), 1 (p=0.0009), 2 (p=0.0002)".
void print_text(const Outcome &o, const digitinfer::ModelInfo &info, int top_k) {
    std::cout << o.path << ":";
    const char *separator = " ";
    for (const auto &r : o.prediction->top_k(top_k ? std::size_t(top_k) : 1)) {
        std::cout << separator << info.labels.at(std::size_t(r.index)) << " (p=" << format_probability(r.probability)
                  << ")";
        separator = ", ";
    }
    std::cout << "\n";
}

void print_json(const Outcome &o, const digitinfer::ModelInfo &info, int top_k) {
    const auto &p = *o.prediction;
    nlohmann::ordered_json j = {
        {"path", o.path},
        {"digit", p.digit},
        {"label", info.labels.at(std::size_t(p.digit))},
        {"probability", json_number(p.probability())},
        {"probabilities", json_numbers(p.probabilities)},
    };
    if (top_k) {
        nlohmann::ordered_json ranked = nlohmann::ordered_json::array();
        for (const auto &r : p.top_k(std::size_t(top_k)))
            ranked.push_back({{"digit", r.index},
                              {"label", info.labels.at(std::size_t(r.index))},
                              {"probability", json_number(r.probability)}});
        j["top_k"] = std::move(ranked);
    }
    std::cout << j.dump() << "\n";
}

int run_predict(const PredictOptions &options) {
    const auto loaded = load_model(options.model);
    const auto info = loaded.model.info();
    const auto outcomes = options.batch ? predict_batched(loaded.model, options.images)
                                        : predict_one_by_one(loaded.model, options.images);
    int exit_code = 0;
    for (const auto &o : outcomes) {
        if (!o.prediction) {
            std::cerr << o.path << ": error: " << o.error << "\n";
            exit_code = 1;
        } else if (options.json) {
            print_json(o, info, options.top_k);
        } else {
            print_text(o, info, options.top_k);
        }
    }
    return exit_code;
}

}  // namespace

Command add_predict_command(CLI::App &app) {
    auto options = std::make_shared<PredictOptions>();
    CLI::App *sub = app.add_subcommand("predict", "Classify image files (PNG, JPEG, BMP, GIF, PGM/PPM, TGA)");
    sub->add_option("IMAGE", options->images, "image files")->required();
    add_model_options(*sub, options->model);
    sub->add_option("-k,--top-k", options->top_k, "also show the K most probable classes")
        ->check(CLI::Range(1, 1 << 20));
    sub->add_flag("--json", options->json, "print one JSON object per image (JSON Lines)");
    sub->add_flag("--batch", options->batch, "predict all images in one batched forward");
    return {sub, [options] { return run_predict(*options); }};
}

}  // namespace cli
