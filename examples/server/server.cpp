#include "server.hpp"

#include <csignal>
#include <filesystem>
#include <future>
#include <iostream>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include "api/context.hpp"
#include "api/responses.hpp"
#include "api/inference_api.hpp"
#include "api/management_api.hpp"
#include "http/listener.hpp"
#include "logging/access_log.hpp"
#include "metrics/metrics.hpp"
#include "model_locator.hpp"

namespace server {
namespace {

namespace asio = boost::asio;
using namespace std::chrono;

int cores() { return std::max(1u, std::thread::hardware_concurrency()); }

milliseconds millis(double seconds) { return milliseconds(static_cast<long long>(seconds * 1000)); }

http::Limits limits_of(const options::ServerOptions &o) {
    http::Limits limits;
    limits.max_request_size = o.max_request_size;
    limits.read_timeout = millis(o.read_timeout);
    limits.write_timeout = millis(o.write_timeout);
    limits.keep_alive_timeout = millis(o.keep_alive_timeout);
    limits.max_connections = o.max_connections;
    return limits;
}

// The models to load at start, as {name, file in the store} or {name, path} for --model / the default.
struct StartupModel {
    std::string name, url, path;
};

std::vector<StartupModel> startup_models(const options::ServerOptions &o, const models::ModelStore &store) {
    std::vector<StartupModel> out;
    for (const auto &spec : o.models) {
        if (spec == "all") {
            for (const auto &[name, file] : store.all()) out.push_back({name, file, store.resolve(file)});
            continue;
        }
        const size_t eq = spec.find('=');
        const std::string file = eq == std::string::npos ? spec : spec.substr(eq + 1);
        const std::string name = eq == std::string::npos ? models::ModelStore::model_name_of(file) : spec.substr(0, eq);
        try {
            out.push_back({name, file, store.resolve(file)});
        } catch (const api::ApiError &e) {
            throw std::runtime_error("--models " + spec + ": " + e.what());
        }
    }
    if (o.models.empty()) {
        const std::string path = o.model.path.empty() ? common::default_model_path() : o.model.path;
        out.push_back({models::ModelStore::model_name_of(path), std::filesystem::path(path).filename().string(), path});
    }
    return out;
}

// Runs `io` on `n` threads until it is stopped, even while it has nothing to do: a request waiting in
// the batcher holds no Asio operation, and its answer is posted later.
std::vector<std::thread> run_threads(asio::io_context &io, int n) {
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i)
        threads.emplace_back([&io] {
            auto busy = asio::make_work_guard(io);
            io.run();
        });
    return threads;
}

}  // namespace

int run_server(const options::ServerOptions &o) {
    std::signal(SIGPIPE, SIG_IGN);
    const http::Address inference_address = http::parse_address(o.inference_address);
    const http::Address management_address = http::parse_address(o.management_address);
    const http::Address metrics_address = http::parse_address(o.metrics_address);

    std::unique_ptr<metrics::Metrics> metrics;
    batching::Batcher batcher(o.workers > 0 ? o.workers : cores(), [&metrics](const batching::BatchStats &stats) {
        if (metrics) metrics->batch(stats);
    });
    api::Context context{o, {}, models::ModelStore(o.model_store, o.allowed_model_dirs), batcher, nullptr, {}};
    if (o.token_auth()) {
        context.auth = std::make_unique<auth::TokenAuth>(o.key_file, minutes(o.token_expiration_min));
        spdlog::info("token authorization enabled: keys in {}", o.key_file);
    }
    auto connections = std::make_shared<http::Connections>(limits_of(o));
    metrics = std::make_unique<metrics::Metrics>(metrics::Readings{
        [&context] { return double(context.registry.size()); },
        [connections] { return double(connections->open()); }, [&batcher] { return double(batcher.queued()); }});
    context.scrape = [&metrics] { return metrics->scrape(); };
    std::unique_ptr<logging::AccessLog> access_log;
    if (!o.access_log.empty()) access_log = std::make_unique<logging::AccessLog>(o.access_log);
    const auto observe = [&metrics, &access_log](const http::Completed &done) {
        metrics->request(done);
        if (access_log) access_log->write(done);
    };

    // Inference on its own threads; management and metrics share one, so a slow model load
    // never delays a prediction.
    asio::io_context inference_io, admin_io;
    const auto service = [&](const char *name, http::Handler handler) {
        return std::make_shared<const http::Service>(http::Service{name, std::move(handler), observe});
    };
    std::vector<std::shared_ptr<http::Listener>> listeners = {
        std::make_shared<http::Listener>(inference_io, inference_address,
                                         service("inference", api::inference_handler(context)), connections),
        std::make_shared<http::Listener>(admin_io, management_address,
                                         service("management", api::management_handler(context)), connections),
        std::make_shared<http::Listener>(admin_io, metrics_address, service("metrics", api::metrics_handler(context)),
                                         connections)};
    const http::Address *addresses[] = {&inference_address, &management_address, &metrics_address};
    const char *names[] = {"inference", "management", "metrics"};
    for (size_t i = 0; i < listeners.size(); ++i) {
        listeners[i]->start();
        http::Address bound = *addresses[i];
        bound.port = listeners[i]->port();
        std::cout << "digitinfer-server: " << names[i] << " listening on " << bound.text() << std::endl;
    }

    std::promise<int> stop_signal;
    asio::signal_set signals(admin_io, SIGINT, SIGTERM);
    signals.async_wait([&stop_signal](const boost::system::error_code &ec, int number) {
        if (!ec) stop_signal.set_value(number);
    });
    auto inference_threads = run_threads(inference_io, o.io_threads > 0 ? o.io_threads : cores());
    auto admin_threads = run_threads(admin_io, 1);
    const auto stop_io = [&] {
        inference_io.stop();
        admin_io.stop();
        for (auto &t : inference_threads) t.join();
        for (auto &t : admin_threads) t.join();
    };

    try {
        for (const auto &m : startup_models(o, context.store)) {
            const auto started = steady_clock::now();
            const auto model = context.load(m.name, "1.0", m.url, m.path, context.batch_settings(), true);
            spdlog::info("model {} version {} loaded from {} ({} engine) in {:.1f} ms", model->name, model->version,
                         m.path, digitinfer::engine_name(model->info.engine),
                         duration<double, std::milli>(steady_clock::now() - started).count());
        }
    } catch (...) {
        stop_io();
        throw;
    }
    context.started = true;
    std::cout << "digitinfer-server: ready" << std::endl;

    const int signal_number = stop_signal.get_future().get();
    spdlog::info("signal {}: stopping (in-flight requests get up to {} s)", signal_number, o.shutdown_timeout);
    for (auto &listener : listeners) listener->stop();
    connections->drain();
    const auto deadline = steady_clock::now() + millis(o.shutdown_timeout);
    while ((connections->open() > 0 || batcher.queued() > 0) && steady_clock::now() < deadline)
        std::this_thread::sleep_for(milliseconds(10));
    if (connections->open() > 0) spdlog::warn("{} connections still open at the deadline", connections->open());
    stop_io();
    if (access_log) access_log->flush();
    spdlog::info("stopped");
    return 0;
}

}  // namespace server
