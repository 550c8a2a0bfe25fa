// `digitinfer eval --mnist DIR`: accuracy and throughput on the MNIST test set,
// through the library's raw-grayscale batch path.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "mnist_idx.hpp"
#include "model_options.hpp"
#include "progress_bar.hpp"

namespace cli {
namespace {

struct EvalOptions {
    std::string mnist_dir;
    common::ModelOptions model;
    std::size_t limit = 0;  // 0: all images
    std::size_t batch = 256;
    double min_accuracy = -1;  // percent; negative: no threshold
    bool json = false;
};

struct TestSet {
    IdxImages images;
    std::vector<uint8_t> labels;
};

struct EvalResult {
    std::size_t total = 0, correct = 0;
    double seconds = 0;

    double accuracy_percent() const { return total ? 100.0 * double(correct) / double(total) : 0.0; }
    double images_per_second() const { return seconds > 0 ? double(total) / seconds : 0.0; }
};

TestSet load_test_set(const std::string &dir, std::size_t limit) {
    TestSet set{read_idx_images(dir + "/t10k-images-idx3-ubyte.gz"), read_idx_labels(dir + "/t10k-labels-idx1-ubyte.gz")};
    if (set.images.count != set.labels.size())
        throw std::runtime_error("MNIST test set in '" + dir + "' has " + std::to_string(set.images.count) +
                                 " images but " + std::to_string(set.labels.size()) + " labels");
    if (limit && limit < set.images.count) {
        set.images.count = limit;
        set.labels.resize(limit);
    }
    return set;
}

// Views of images [begin, end) for the library's raw-grayscale path; no copies.
void gray_views(const IdxImages &images, std::size_t begin, std::size_t end, std::vector<di_gray_image> &views) {
    views.clear();
    for (std::size_t i = begin; i < end; ++i)
        views.push_back({images.image(i), images.cols, images.rows, std::size_t(images.cols)});
}

// Only the best class of each image is needed: predict_into writes it into one
// buffer reused by every batch, so the loop allocates nothing per image.
EvalResult evaluate(const digitinfer::Model &model, const TestSet &set, std::size_t batch,
                    const digitinfer::PredictOptions &predict) {
    EvalResult result;
    result.total = set.images.count;
    std::vector<di_gray_image> views;
    views.reserve(batch);
    std::vector<di_prediction> predictions(batch);
    digitinfer::ResultSpans out;
    out.predictions = predictions;
    ProgressBar progress(result.total);
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t begin = 0; begin < result.total; begin += batch) {
        const std::size_t end = std::min(result.total, begin + batch);
        gray_views(set.images, begin, end, views);
        model.predict_into(views, out, predict);
        for (std::size_t i = begin; i < end; ++i)
            result.correct += predictions[i - begin].class_index == int(set.labels[i]);
        progress.update(end);
    }
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    progress.finish();
    return result;
}

void print_text(const EvalResult &r, std::size_t batch) {
    std::printf("accuracy: %.2f%% (%zu/%zu)\n", r.accuracy_percent(), r.correct, r.total);
    std::printf("throughput: %.0f images/s (%zu images in %.2f s, batch %zu)\n", r.images_per_second(), r.total,
                r.seconds, batch);
}

void print_json(const EvalResult &r, const EvalOptions &options, const std::string &model_path, bool passed) {
    nlohmann::ordered_json j = {
        {"model", model_path},
        {"images", r.total},
        {"correct", r.correct},
        {"accuracy", r.total ? double(r.correct) / double(r.total) : 0.0},
        {"accuracy_percent", r.accuracy_percent()},
        {"seconds", r.seconds},
        {"images_per_second", r.images_per_second()},
        {"batch_size", options.batch},
    };
    if (options.min_accuracy >= 0) {
        j["min_accuracy_percent"] = options.min_accuracy;
        j["passed"] = passed;
    }
    std::cout << j.dump(2) << "\n";
}

int run_eval(const EvalOptions &options) {
    const auto loaded = common::load_model(options.model);
    const TestSet set = load_test_set(options.mnist_dir, options.limit);
    if (set.images.count == 0) throw std::runtime_error("the MNIST test set in '" + options.mnist_dir + "' is empty");
    const EvalResult result = evaluate(loaded.model, set, options.batch, options.model.predict_options());
    const bool passed = result.accuracy_percent() >= options.min_accuracy;
    if (options.json)
        print_json(result, options, loaded.path, passed);
    else
        print_text(result, options.batch);
    if (passed) return 0;
    std::fflush(stdout);
    std::fprintf(stderr, "error: accuracy %.2f%% is below --min-accuracy %.2f%%\n", result.accuracy_percent(),
                 options.min_accuracy);
    return 1;
}

}  // namespace

Command add_eval_command(CLI::App &app) {
    auto options = std::make_shared<EvalOptions>();
    CLI::App *sub = app.add_subcommand("eval", "Measure accuracy and speed on the MNIST test set");
    sub->add_option("--mnist", options->mnist_dir,
                    "Directory holding t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz")
        ->required()
        ->check(CLI::ExistingDirectory);
    common::add_model_options(*sub, options->model);
    sub->add_option("-n,--limit", options->limit, "Evaluate only the first N images (0 = all)");
    sub->add_option("-b,--batch", options->batch, "Images per batched forward")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t(1), std::size_t(DI_MAX_BATCH)));
    sub->add_option("--min-accuracy", options->min_accuracy, "Exit with 1 when accuracy (percent) is below X")
        ->check(CLI::Range(0.0, 100.0));
    sub->add_flag("--json", options->json, "Print a JSON summary");
    return {sub, [options] { return run_eval(*options); }};
}

}  // namespace cli
