#include "server_options.hpp"

#include <cstdlib>
#include <stdexcept>

#include "properties.hpp"

namespace server::options {
namespace {

// config.properties keys that set a flag: the value goes through the flag's own checks.
struct PropertyFlag {
    const char *property;
    const char *flag;
};
const PropertyFlag kPropertyFlags[] = {
    {"inference_address", "--inference-address"},
    {"management_address", "--management-address"},
    {"metrics_address", "--metrics-address"},
    {"model_store", "--model-store"},
    {"load_models", "--models"},
    {"batch_size", "--batch-size"},
    {"max_batch_delay", "--max-batch-delay"},
    {"default_workers_per_model", "--workers-per-model"},
    {"default_response_timeout", "--response-timeout"},
    {"number_of_netty_threads", "--io-threads"},
    {"max_request_size", "--max-request-size"},
    {"enable_model_api", "--enable-model-api"},
    {"token_expiration_min", "--token-expiration-min"},
    {"max_connections", "--max-connections"},
    {"read_timeout", "--read-timeout"},
    {"keep_alive_timeout", "--keep-alive-timeout"},
    {"access_log", "--access-log"},
    {"allowed_model_dirs", "--allowed-model-dir"},
};

// Keys TorchServe has that mean nothing here; they are accepted silently so a TorchServe config works.
const char *const kIgnoredProperties[] = {
    "metrics_mode", "grpc_inference_port", "grpc_management_port", "number_of_gpu", "job_queue_size",
    "enable_envvars_config", "install_py_dep_per_model", "async_logging",
    "vmargs", "enable_metrics_api", "disable_system_metrics", "workflow_store", "models", "cors_allowed_origin",
    "cors_allowed_methods", "cors_allowed_headers", "max_response_size", "unregister_model_timeout",
    "decode_input_request", "model_snapshot", "snapshot_store", "plugins_path"};

bool is_true(const std::string &value) { return value == "true" || value == "TRUE" || value == "True"; }

}  // namespace

void add_server_options(CLI::App &app, ServerOptions &o) {
    common::add_model_options(app, o.model);
    app.add_option("command", o.command,
                   "'serve', as SageMaker starts a container (docker run IMAGE serve): accepted, changes nothing")
        ->check(CLI::IsMember({"serve"}));
    app.add_option("--ts-config,--config", o.config_file,
                   "A TorchServe-style config.properties; command-line flags win over it")
        ->check(CLI::ExistingFile);
    app.add_option("--model-store", o.model_store, "Directory the models are loaded and registered from")
        ->check(CLI::ExistingDirectory);
    app.add_option("--models", o.models,
                   "Models to load at start: 'all' (every .dimodel/.pt in the store), NAME=FILE or FILE "
                   "(in the store); comma-separated. Without --models or --model: the bundled convnet")
        ->delimiter(',');
    app.add_option("--allowed-model-dir", o.allowed_model_dirs,
                   "A directory whose files may also be registered, as file:///path (repeatable)")
        ->check(CLI::ExistingDirectory);
    app.add_option("--inference-address", o.inference_address,
                   "Inference API (TorchServe, Flask /test, Open Inference Protocol v2, the drawing page); "
                   "port 0 = any free port")
        ->capture_default_str();
    app.add_option("--management-address", o.management_address, "Management API")->capture_default_str();
    app.add_option("--metrics-address", o.metrics_address, "Prometheus metrics (GET /metrics)")
        ->capture_default_str();
    app.add_option("--batch-size", o.batch_size, "Most images in one batched forward")
        ->capture_default_str()
        ->check(CLI::Range(1, 4096));
    app.add_option("--max-batch-delay", o.max_batch_delay_ms,
                   "Milliseconds a request may wait for a fuller batch (0: never wait, batch what is queued)")
        ->capture_default_str()
        ->check(CLI::Range(0, 60000));
    app.add_option("--response-timeout", o.response_timeout,
                   "Seconds a request may wait for a forward; longer, it gets 503 (load shedding)")
        ->capture_default_str()
        ->check(CLI::Range(1, 86400));
    app.add_option("--workers", o.workers, "Forward threads, shared by all models (0 = the cores)")
        ->capture_default_str()
        ->check(CLI::Range(0, 256));
    app.add_option("--workers-per-model", o.workers_per_model,
                   "Forwards of one model at once, TorchServe's min_worker (0 = --workers)")
        ->capture_default_str()
        ->check(CLI::Range(0, 256));
    app.add_option("--io-threads", o.io_threads, "Threads serving HTTP connections (0 = the cores)")
        ->capture_default_str()
        ->check(CLI::Range(0, 256));
    app.add_option("--max-request-size", o.max_request_size,
                   "Largest request body in bytes; larger ones get 413 from their Content-Length")
        ->capture_default_str()
        ->check(CLI::Range(uint64_t(1), uint64_t(1) << 31));
    app.add_option("--max-connections", o.max_connections,
                   "Open connections over all ports; beyond it a connection gets 503 and is closed")
        ->capture_default_str()
        ->check(CLI::Range(1, 1 << 20));
    app.add_option("--read-timeout", o.read_timeout, "Seconds to receive a whole request (slow clients are cut off)")
        ->capture_default_str()
        ->check(CLI::Range(0.01, 3600.0));
    app.add_option("--write-timeout", o.write_timeout, "Seconds to send a whole response")
        ->capture_default_str()
        ->check(CLI::Range(0.01, 3600.0));
    app.add_option("--keep-alive-timeout", o.keep_alive_timeout, "Seconds an idle keep-alive connection stays open")
        ->capture_default_str()
        ->check(CLI::Range(0.01, 3600.0));
    app.add_option("--shutdown-timeout", o.shutdown_timeout,
                   "On SIGTERM/SIGINT: seconds to finish in-flight requests before exiting")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 3600.0));
    app.add_flag("--enable-model-api", o.enable_model_api,
                 "Allow registering and unregistering models through the management API (off by default, "
                 "as in TorchServe >= 0.11)");
    app.add_flag("--enable-token-auth", o.enable_token_auth,
                 "Require bearer tokens (written to --key-file) on inference and management requests");
    app.add_flag("--disable-token-auth", o.disable_token_auth, "Do not require tokens (the default)");
    app.add_option("--key-file", o.key_file, "Where token authorization writes its keys (mode 0600)")
        ->capture_default_str();
    app.add_option("--token-expiration-min", o.token_expiration_min,
                   "Minutes the inference and management keys stay valid")
        ->capture_default_str()
        ->check(CLI::Range(1, 60 * 24 * 365));
    app.add_option("--access-log", o.access_log, "Write one JSON line per request to FILE ('-' = standard output)");
    app.add_option("--log-level", o.log_level, "Server log level on standard error")
        ->capture_default_str()
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
    app.footer(
        "Environment: PORT sets the inference port on all interfaces (0.0.0.0) when no inference address\n"
        "is given (Cloud Run style); DIGITINFER_MODEL is the default model.\n"
        "Ports: inference 8080 (POST /predictions/{model}, POST /test, /v2/..., GET /ping, GET /,\n"
        "POST /invocations: SageMaker's, the first model),\n"
        "management 8081 (/models), metrics 8082 (/metrics). See docs/serving.md.");
}

std::vector<std::string> finish_server_options(CLI::App &app, ServerOptions &o) {
    std::vector<std::string> warnings;
    const bool address_given = app.get_option("--inference-address")->count() > 0;
    bool address_from_file = false;
    if (!o.config_file.empty()) {
        for (const auto &[key, value] : read_properties(o.config_file)) {
            bool known = false;
            for (const auto &pf : kPropertyFlags) {
                if (key != pf.property) continue;
                known = true;
                CLI::Option *option = app.get_option(pf.flag);
                if (option->count() > 0) break;  // the command line wins
                if (key == "inference_address") address_from_file = true;
                try {
                    option->add_result(value);
                    option->run_callback();
                } catch (const CLI::Error &e) {
                    throw std::runtime_error(o.config_file + ": " + key + "=" + value + ": " + e.what());
                }
            }
            if (key == "disable_token_authorization") {
                known = true;
                if (app.get_option("--enable-token-auth")->count() == 0 &&
                    app.get_option("--disable-token-auth")->count() == 0)
                    o.enable_token_auth = !is_true(value);
            }
            for (const char *ignored : kIgnoredProperties) known = known || key == ignored;
            if (!known) warnings.push_back(o.config_file + ": unknown key '" + key + "' ignored");
        }
    }
    if (!address_given && !address_from_file) {
        if (const char *port = std::getenv("PORT"); port && *port) o.inference_address = std::string("0.0.0.0:") + port;
    }
    if (app.get_option("--threads")->count() == 0) o.model.threads = 1;  // parallelism comes from the pool
    return warnings;
}

}  // namespace server::options
