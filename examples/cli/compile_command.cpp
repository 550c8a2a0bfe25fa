// `digitinfer compile MODEL.pt -o MODEL.dimodel`: compile a TorchScript model
// for the native engine, so that it loads in milliseconds without libtorch.
#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "model_options.hpp"

namespace cli {
namespace {

struct CompileOptions {
    std::string output;
    common::ModelOptions model;
};

int run_compile(const CompileOptions &options) {
    common::ModelOptions native = options.model;
    native.engine = "native";  // a graph the native engine cannot run is an error here, not a fallback
    const auto loaded = common::load_model(native);
    loaded.model.export_native(options.output);
    std::printf("wrote %s (from %s)\n", options.output.c_str(), loaded.path.c_str());
    return 0;
}

}  // namespace

Command add_compile_command(CLI::App &app) {
    auto options = std::make_shared<CompileOptions>();
    CLI::App *sub = app.add_subcommand(
        "compile", "Compile a TorchScript model to a .dimodel: loads without libtorch, predicts identically");
    sub->add_option("MODEL", options->model.path, "TorchScript model file")->required();
    sub->add_option("-o,--output", options->output, ".dimodel file to write")->required();
    return {sub, [options] { return run_compile(*options); }};
}

}  // namespace cli
