// `digitinfer preprocess IMAGE -o OUT.png`: save exactly what the model sees.
#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "image_write.hpp"
#include "model_options.hpp"

namespace cli {
namespace {

struct PreprocessOptions {
    std::string image;
    std::string png_out;
    std::string tensor_out;  // empty: no tensor file
    common::ModelOptions model;
};

int run_preprocess(const PreprocessOptions &options) {
    // The model decides the output size and the normalization.
    const auto loaded = common::load_model(options.model);
    const auto p = loaded.model.preprocess_file(options.image);
    write_gray_png(options.png_out, p.image, p.width, p.height);
    std::printf("wrote %s (%dx%d grayscale)\n", options.png_out.c_str(), p.width, p.height);
    if (!options.tensor_out.empty()) {
        write_float32(options.tensor_out, p.tensor);
        std::printf("wrote %s (%zu float32, [%zu,%d,%d])\n", options.tensor_out.c_str(), p.tensor.size(),
                    p.tensor.size() / p.image.size(), p.height, p.width);
    }
    return 0;
}

}  // namespace

Command add_preprocess_command(CLI::App &app) {
    auto options = std::make_shared<PreprocessOptions>();
    CLI::App *sub = app.add_subcommand("preprocess", "Write the model-sized grayscale image the model sees");
    sub->add_option("IMAGE", options->image, "Image file")->required();
    sub->add_option("-o,--output", options->png_out, "PNG file to write")->required();
    sub->add_option("--tensor", options->tensor_out,
                    "Also write the normalized C x H x W tensor as raw float32 (native byte order)");
    common::add_model_options(*sub, options->model);
    return {sub, [options] { return run_preprocess(*options); }};
}

}  // namespace cli
