// The subcommands of the `digitinfer` tool. Each add_*_command registers its
// options on `app` and returns the subcommand with the function that runs it
// after parsing; main() runs the one the user chose.
#ifndef DIGITINFER_CLI_COMMANDS_HPP
#define DIGITINFER_CLI_COMMANDS_HPP

#include <functional>

#include <CLI/CLI.hpp>

namespace cli {

struct Command {
    CLI::App *app;             ///< the parsed subcommand: true when chosen
    std::function<int()> run;  ///< returns the process exit code; may throw
};

Command add_predict_command(CLI::App &app);
Command add_eval_command(CLI::App &app);
Command add_info_command(CLI::App &app);
Command add_preprocess_command(CLI::App &app);
Command add_compile_command(CLI::App &app);

}  // namespace cli

#endif  // DIGITINFER_CLI_COMMANDS_HPP
