// `digitinfer info [MODEL]`: what a model expects and returns, the limits it was loaded with,
// and whether it came from the compiled-model cache.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "info_json.hpp"
#include "model_options.hpp"
#include "names.hpp"

namespace cli {
namespace {

struct InfoOptions {
    common::ModelOptions model;
    bool json = false;
};

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
    std::printf("output kind:   %s\n", digitinfer::output_kind_name(i.output_kind).c_str());
    std::printf("has_metadata:  %s\n", i.has_metadata ? "yes" : "no");
    std::printf("engine:        %s%s%s\n", digitinfer::engine_name(i.engine).c_str(),
                i.engine_note.empty() ? "" : " - ", i.engine_note.c_str());
    std::printf("threads:       %d per batched call\n", i.num_threads);
    std::printf("limits:        %llu pixels, %llu encoded bytes per image\n",
                static_cast<unsigned long long>(i.max_pixels), static_cast<unsigned long long>(i.max_encoded_bytes));
    // The compiled-model cache: "hit (entry)", "stored (entry)", or "not used - why".
    std::string cache = common::cache_use_name(i.cache);
    std::replace(cache.begin(), cache.end(), '_', ' ');
    if (!i.cache_path.empty()) cache += " (" + i.cache_path + ")";
    if (!i.cache_note.empty()) cache += " - " + i.cache_note;
    std::printf("cache:         %s\n", cache.c_str());
    std::printf("library:       %s (headers %s)\n", digitinfer::version().c_str(), DI_VERSION_STRING);
}

int run_info(const InfoOptions &options) {
    const auto loaded = common::load_model(options.model);
    const auto info = loaded.model.info();
    if (options.json)
        std::cout << common::info_json(loaded.path, info).dump(2) << "\n";
    else
        print_text(loaded.path, info);
    return 0;
}

}  // namespace

Command add_info_command(CLI::App &app) {
    auto options = std::make_shared<InfoOptions>();
    CLI::App *sub = app.add_subcommand(
        "info", "Describe a model: input shape, normalization, labels, output, engine, limits");
    sub->add_option("MODEL,-m,--model", options->model.path, common::kModelHelp);
    // The rest of the model options: info then shows what they resolve to.
    common::add_model_options(*sub, options->model, /*with_model=*/false);
    sub->add_flag("--json", options->json, "Print JSON");
    return {sub, [options] { return run_info(*options); }};
}

}  // namespace cli
