// `digitinfer info [MODEL]`: what a model expects and returns.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "json_number.hpp"
#include "model_locator.hpp"

namespace cli {
namespace {

struct InfoOptions {
    ModelOptions model;
    bool json = false;
};

const char *output_kind_name(di_output_kind kind) {
    switch (kind) {
        case DI_OUTPUT_LOG_PROBABILITIES: return "log_probabilities";
        case DI_OUTPUT_LOGITS: return "logits";
        case DI_OUTPUT_PROBABILITIES: return "probabilities";
        case DI_OUTPUT_AUTO: break;
    }
    return "unknown";
}

std::string join(const std::vector<std::string> &items, const char *separator) {
    std::string out;
    for (const auto &item : items) out += (out.empty() ? "" : separator) + item;
    return out;
}

void print_text(const std::string &path, const digitinfer::ModelInfo &i) {
    std::printf("model:         %s\n", path.c_str());
    std::printf("name:          %s\n", i.name.c_str());
    std::printf("input:         [N,%d,%d,%d]\n", i.channels, i.height, i.width);
    std::printf("mean:          %g\n", double(i.mean));
    std::printf("std:           %g\n", double(i.std));
    std::printf("num_classes:   %d\n", i.num_classes);
    std::printf("labels:        %s\n", join(i.labels, " ").c_str());
    std::printf("output kind:   %s\n", output_kind_name(i.output_kind));
    std::printf("has_metadata:  %s\n", i.has_metadata ? "yes" : "no");
    std::printf("engine:        %s%s%s\n", engine_name(i.engine), i.engine_note.empty() ? "" : " - ",
                i.engine_note.c_str());
    std::printf("library:       %s (headers %s)\n", digitinfer::version().c_str(), DI_VERSION_STRING);
}

void print_json(const std::string &path, const digitinfer::ModelInfo &i) {
    const nlohmann::ordered_json j = {
        {"model", path},
        {"name", i.name},
        {"input", {{"channels", i.channels}, {"height", i.height}, {"width", i.width}}},
        {"mean", json_number(i.mean)},
        {"std", json_number(i.std)},
        {"num_classes", i.num_classes},
        {"labels", i.labels},
        {"output_kind", output_kind_name(i.output_kind)},
        {"has_metadata", i.has_metadata},
        {"engine", engine_name(i.engine)},
        {"engine_note", i.engine_note},
        {"library_version", digitinfer::version()},
        {"header_version", DI_VERSION_STRING},
    };
    std::cout << j.dump(2) << "\n";
}

int run_info(const InfoOptions &options) {
    const auto loaded = load_model(options.model);
    const auto info = loaded.model.info();
    if (options.json)
        print_json(loaded.path, info);
    else
        print_text(loaded.path, info);
    return 0;
}

}  // namespace

Command add_info_command(CLI::App &app) {
    auto options = std::make_shared<InfoOptions>();
    CLI::App *sub = app.add_subcommand("info", "Describe a model: input shape, normalization, labels, output");
    sub->add_option("MODEL,-m,--model", options->model.path,
                    "TorchScript model file (default: $DIGITINFER_MODEL, else the installed model)");
    sub->add_flag("--json", options->json, "Print JSON");
    return {sub, [options] { return run_info(*options); }};
}

}  // namespace cli
