// `digitinfer-server`: serves DigitInfer models over HTTP with the protocols
// their users already speak (TorchServe, the Flask /test server, the Open
// Inference Protocol v2). This file parses the command line; server.cpp runs it.
#include <iostream>

#include <CLI/CLI.hpp>
#include <digitinfer/digitinfer.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "options/server_options.hpp"
#include "server.hpp"

int main(int argc, char **argv) {
    CLI::App app{"digitinfer-server: handwritten-digit models over HTTP (TorchServe inference, management and "
                 "metrics APIs, the Flask /test protocol, the Open Inference Protocol v2, a drawing page)",
                 "digitinfer-server"};
    server::options::ServerOptions options;
    server::options::add_server_options(app, options);
    app.set_version_flag("--version", "digitinfer-server, library " + digitinfer::version() +
                                          " (built with headers " DI_VERSION_STRING ")");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    auto log = spdlog::stderr_logger_mt("digitinfer-server");
    spdlog::set_default_logger(log);
    try {
        for (const auto &warning : server::options::finish_server_options(app, options)) spdlog::warn("{}", warning);
        spdlog::set_level(spdlog::level::from_str(options.log_level));
        return server::run_server(options);
    } catch (const std::exception &e) {
        std::cerr << "digitinfer-server: error: " << e.what() << "\n";
        return 1;
    }
}
