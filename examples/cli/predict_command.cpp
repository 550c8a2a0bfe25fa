// `digitinfer predict IMAGE...`: classify image files, one result per image.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "model_options.hpp"
#include "prediction_json.hpp"

namespace cli {
namespace {

struct PredictOptions {
    std::vector<std::string> images;
    common::ModelOptions model;
    int top_k = 0;  // 0: only the best class
    bool json = false;
    bool batch = false;
};

// The result for one image: a prediction, or the error that prevented it.
struct Outcome {
    std::string path;
    std::optional<digitinfer::Prediction> prediction;
    std::string error;  // "DI_ERR_DECODE: ..." as digitinfer::Error::what() words it
};

Outcome predict_one(const digitinfer::Model &model, const std::string &path) {
    try {
        return {path, model.predict_file(path), {}};
    } catch (const digitinfer::Error &e) {
        return {path, std::nullopt, e.what()};
    }
}

// One batched call for every readable file. The library reports a status per
// image, so a bad file costs only its own result, not a rerun of the batch.
std::vector<Outcome> predict_batched(const digitinfer::Model &model, const std::vector<std::string> &paths,
                                     const digitinfer::PredictOptions &predict) {
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
    for (std::size_t begin = 0; begin < files.size(); begin += DI_MAX_BATCH) {  // the C API's limit per call
        const std::size_t end = std::min(files.size(), begin + std::size_t(DI_MAX_BATCH));
        const std::vector<std::vector<uint8_t>> chunk(std::make_move_iterator(files.begin() + std::ptrdiff_t(begin)),
                                                      std::make_move_iterator(files.begin() + std::ptrdiff_t(end)));
        auto results = model.predict_encoded_each(chunk, predict);
        for (std::size_t i = begin; i < end; ++i) {
            Outcome &o = outcomes[readable[i]];
            if (results[i - begin].ok())
                o.prediction = std::move(results[i - begin].prediction);
            else
                o.error = results[i - begin].error().what();
        }
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

// Prints one outcome (errors to stderr); returns whether it was a success.
bool report(const Outcome &o, const digitinfer::ModelInfo &info, const PredictOptions &options) {
    if (!o.prediction) {
        std::cerr << o.path << ": error: " << o.error << "\n";
        return false;
    }
    if (options.json)
        std::cout << common::prediction_json(*o.prediction, info.labels, std::size_t(options.top_k), {{"path", o.path}})
                         .dump()
                  << "\n";
    else
        print_text(o, info, options.top_k);
    return true;
}

int run_predict(const PredictOptions &options) {
    const auto loaded = common::load_model(options.model);
    const auto info = loaded.model.info();
    bool all_ok = true;
    if (options.batch) {
        for (const auto &o : predict_batched(loaded.model, options.images, options.model.predict_options()))
            all_ok &= report(o, info, options);
    } else {
        // One at a time, printing as we go so that long runs show progress.
        for (const auto &path : options.images) all_ok &= report(predict_one(loaded.model, path), info, options);
    }
    return all_ok ? 0 : 1;
}

}  // namespace

Command add_predict_command(CLI::App &app) {
    auto options = std::make_shared<PredictOptions>();
    CLI::App *sub = app.add_subcommand("predict", "Classify image files (PNG, JPEG, BMP, GIF, PGM/PPM, TGA)");
    sub->add_option("IMAGE", options->images, "Image files to classify")->required();
    common::add_model_options(*sub, options->model);
    sub->add_option("-k,--top-k", options->top_k, "Also show the K most probable classes")
        ->check(CLI::Range(1, 1 << 20));
    sub->add_flag("--json", options->json, "Print one JSON object per image (JSON Lines)");
    sub->add_flag("--batch", options->batch,
                  "Predict all images in one batched call (a bad image fails alone, with its own error)");
    return {sub, [options] { return run_predict(*options); }};
}

}  // namespace cli
