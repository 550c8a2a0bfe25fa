// `digitinfer`: the command-line face of libdigitinfer. This file only wires
// the subcommands together and turns errors into exit codes:
//   0 success, 1 a failure (model, image, data, threshold), 2 a usage error.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <digitinfer/digitinfer.hpp>

#include "commands.hpp"

namespace {

constexpr int kUsageError = 2;

std::string version_text() {
    // The two differ when the binary runs against another build of the shared library.
    return "digitinfer library " + digitinfer::version() + " (built with headers " DI_VERSION_STRING ")";
}

}  // namespace

int main(int argc, char **argv) {
    CLI::App app{"DigitInfer: handwritten-digit classification, from image files to digits", "digitinfer"};
    app.set_version_flag("--version", version_text(), "Print the library and header versions and exit");
    app.require_subcommand(1);
    app.footer(
        "Without --model, the model is $DIGITINFER_MODEL, else the installed convnet.dimodel (no libtorch needed);\n"
        "TorchScript (.pt) models load through the libtorch plugin; one the native engine runs is then kept\n"
        "compiled in the cache ($DIGITINFER_CACHE_DIR, else ~/.cache/digitinfer; --no-cache, --cache-dir).\n"
        "Exit status: 0 success, 1 failure (bad model, image or data; accuracy below threshold), 2 usage error.");

    const std::vector<cli::Command> commands = {
        cli::add_predict_command(app),
        cli::add_eval_command(app),
        cli::add_info_command(app),
        cli::add_preprocess_command(app),
        cli::add_compile_command(app),
    };

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &e) {
        // CLI11 prints help/version/usage; its own exit codes (100+) are not conventional.
        return app.exit(e) == 0 ? 0 : kUsageError;
    }

    try {
        for (const auto &command : commands)
            if (command.app->parsed()) return command.run();
    } catch (const std::exception &e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    return kUsageError;  // unreachable: require_subcommand(1) guarantees a subcommand
}
