// Finding and loading the model a command runs, shared by every subcommand.
#ifndef DIGITINFER_CLI_MODEL_LOCATOR_HPP
#define DIGITINFER_CLI_MODEL_LOCATOR_HPP

#include <string>

#include <CLI/CLI.hpp>
#include <digitinfer/digitinfer.hpp>

namespace cli {

/// The --model and --threads options, as most subcommands take them.
struct ModelOptions {
    std::string path;  ///< empty: use default_model_path()
    int threads = 0;   ///< 0: leave libtorch's default
    std::string engine = "auto";  ///< a name from engine_name()
};

/// "auto", "native", "libtorch" or "reference" for a di_engine.
const char *engine_name(di_engine engine);

/// Adds --model (unless `with_model` is false), --threads and --engine to `sub`.
void add_model_options(CLI::App &sub, ModelOptions &options, bool with_model = true);

/// The first existing file of: $DIGITINFER_MODEL, the installed model, the
/// source tree's model. Throws std::runtime_error listing what was tried.
std::string default_model_path();

/// A loaded model and the file it came from.
struct LoadedModel {
    std::string path;
    digitinfer::Model model;
};

/// Loads options.path, or the default model when it is empty.
LoadedModel load_model(const ModelOptions &options);

}  // namespace cli

#endif  // DIGITINFER_CLI_MODEL_LOCATOR_HPP
