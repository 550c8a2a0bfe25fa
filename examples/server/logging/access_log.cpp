#include "access_log.hpp"
#include "iso_time.hpp"

#include <chrono>
#include <cmath>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace server::logging {

AccessLog::AccessLog(const std::string &destination) {
    spdlog::sink_ptr sink;
    if (destination == "-")
        sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
    else
        sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(destination);
    logger_ = std::make_shared<spdlog::logger>("access", sink);
    logger_->set_pattern("%v");
    logger_->flush_on(spdlog::level::info);
}

void AccessLog::write(const http::Completed &done) {
    nlohmann::ordered_json line;
    line["time"] = iso_time(std::chrono::system_clock::now(), true);
    line["listener"] = done.listener;
    line["remote"] = done.remote;
    line["method"] = done.method;
    line["target"] = done.target;
    line["status"] = done.status;
    line["bytes_in"] = done.bytes_in;
    line["bytes_out"] = done.bytes_out;
    line["duration_ms"] =
        std::round(std::chrono::duration<double, std::milli>(done.finished - done.started).count() * 1000) / 1000;
    if (done.exchange) {
        line["endpoint"] = done.exchange->endpoint;
        if (!done.exchange->model.empty()) line["model"] = done.exchange->model;
    }
    logger_->info(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void AccessLog::flush() { logger_->flush(); }

}  // namespace server::logging
