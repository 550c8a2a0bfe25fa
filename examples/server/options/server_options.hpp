// Every setting of digitinfer-server: command-line flags, then the config file
// (TorchServe's config.properties keys where they mean the same thing), then
// the PORT environment variable, then defaults.
#ifndef DIGITINFER_SERVER_OPTIONS_SERVER_OPTIONS_HPP
#define DIGITINFER_SERVER_OPTIONS_SERVER_OPTIONS_HPP

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "model_options.hpp"

namespace server::options {

struct ServerOptions {
    common::ModelOptions model;  ///< --model, --threads, --engine, --output-kind, --max-pixels, ...
    std::string config_file;
    std::string command;  ///< "serve" or empty: what SageMaker passes (`docker run IMAGE serve`)
    std::string model_store;
    std::vector<std::string> models;  ///< "all", "NAME=FILE" or "FILE"
    std::vector<std::string> allowed_model_dirs;
    std::string inference_address = "http://127.0.0.1:8080";
    std::string management_address = "http://127.0.0.1:8081";
    std::string metrics_address = "http://127.0.0.1:8082";
    int batch_size = 8;
    int max_batch_delay_ms = 0;
    int response_timeout = 120;  ///< seconds a request may wait in the queue
    int workers = 0;            ///< forward threads; 0 = the cores
    int workers_per_model = 0;  ///< forwards of one model at once; 0 = workers
    int io_threads = 0;         ///< 0 = the cores
    uint64_t max_request_size = 6553500;
    int max_connections = 1024;
    double read_timeout = 30, write_timeout = 30, keep_alive_timeout = 60, shutdown_timeout = 10;
    bool enable_model_api = false;
    bool enable_token_auth = false, disable_token_auth = false;
    std::string key_file = "key_file.json";
    int token_expiration_min = 60;
    std::string access_log;  ///< "" = none, "-" = stdout
    std::string log_level = "info";

    bool token_auth() const { return enable_token_auth && !disable_token_auth; }
};

/// Registers every flag on `app`.
void add_server_options(CLI::App &app, ServerOptions &options);

/// After parsing: applies the config file to what the command line left unset, then PORT and the
/// derived defaults. Throws std::runtime_error (unreadable file, a bad value) ; returns warnings.
std::vector<std::string> finish_server_options(CLI::App &app, ServerOptions &options);

}  // namespace server::options

#endif  // DIGITINFER_SERVER_OPTIONS_SERVER_OPTIONS_HPP
