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

// One batched forward for every readable file. A batch fails as a whole, so
// when it does we predict its images one by one to name the culprit(s).
std::vector<Outcome> predict_batched(const digitinfer::Model &model, const std::vector<std::string> &paths) {
    std::vector<Outcome> outcomes;
    std::vector<std::vector<uint8_t>> files;
    std::vector<std::size_t> readable;  // indexes into outcomes, parallel to files
    for (const auto &path : paths) {
        outcomes.push_back({path, std::nullopt, {}});
        try {
            files.push_back(digitinfer::read_file(path));
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

// Prints one outcome (errors to stderr); returns whether it was a success.
bool report(const Outcome &o, const digitinfer::ModelInfo &info, const PredictOptions &options) {
    if (!o.prediction) {
        std::cerr << o.path << ": error: " << o.error << "\n";
        return false;
    }
    if (options.json)
        print_json(o, info, options.top_k);
    else
        print_text(o, info, options.top_k);
    return true;
}

int run_predict(const PredictOptions &options) {
    const auto loaded = load_model(options.model);
    const auto info = loaded.model.info();
    bool all_ok = true;
    if (options.batch) {
        for (const auto &o : predict_batched(loaded.model, options.images)) all_ok &= report(o, info, options);
    } else {
        // One at a time, printing as we go so that long runs show progress.
        for (const auto &path : options.images)
            all_ok &= report(attempt(path, [&] { return loaded.model.predict_file(path); }), info, options);
    }
    return all_ok ? 0 : 1;
}

}  // namespace

Command add_predict_command(CLI::App &app) {
    auto options = std::make_shared<PredictOptions>();
    CLI::App *sub = app.add_subcommand("predict", "Classify image files (PNG, JPEG, BMP, GIF, PGM/PPM, TGA)");
    sub->add_option("IMAGE", options->images, "Image files to classify")->required();
    add_model_options(*sub, options->model);
    sub->add_option("-k,--top-k", options->top_k, "Also show the K most probable classes")
        ->check(CLI::Range(1, 1 << 20));
    sub->add_flag("--json", options->json, "Print one JSON object per image (JSON Lines)");
    sub->add_flag("--batch", options->batch, "Predict all images in one batched forward");
    return {sub, [options] { return run_predict(*options); }};
}

}  // namespace cli
