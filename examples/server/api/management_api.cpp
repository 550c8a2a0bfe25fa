#include "management_api.hpp"

#include <unistd.h>

#include <algorithm>
#include <limits>

#include "logging/iso_time.hpp"
#include "metrics/process_stats.hpp"
#include "params.hpp"
#include "responses.hpp"

namespace server::api {
namespace {

using http::beast_http::verb;
using nlohmann::ordered_json;

ordered_json describe(const models::ServedModel &m, bool is_default) {
    const int workers = m.workers.load();
    ordered_json list = ordered_json::array();
    const double memory = metrics::read_process_stats().resident_bytes;
    for (int i = 0; i < workers; ++i)
        list.push_back({{"id", std::to_string(9000 + i)},
                        {"startTime", logging::iso_time(m.loaded_at)},
                        {"status", "READY"},
                        {"memoryUsage", static_cast<uint64_t>(memory)},  // one process: its resident size
                        {"pid", ::getpid()},
                        {"gpu", false}});
    const auto shape = m.model.input_shape();
    return {{"modelName", m.name},
            {"modelVersion", m.version},
            {"modelUrl", m.url},
            {"engine", digitinfer::engine_name(m.info.engine)},
            {"runtime", "digitinfer"},
            {"minWorkers", workers},
            {"maxWorkers", std::max(workers, m.max_workers.load())},
            {"batchSize", m.batch_size},
            {"maxBatchDelay", std::chrono::duration_cast<std::chrono::milliseconds>(m.max_batch_delay).count()},
            {"responseTimeout", m.response_timeout.count()},
            {"loadedAtStartup", m.loaded_at_startup},
            {"isDefault", is_default},
            {"input", {shape.channels, shape.height, shape.width}},
            {"labels", m.info.labels},
            {"outputKind", digitinfer::output_kind_name(m.info.output_kind)},
            {"workers", list}};
}

http::Response list_models(Context &context, const http::Request &request) {
    const auto entries = context.registry.entries();
    const int limit = int_param(request, "limit", 100, 1, std::numeric_limits<int>::max());
    const int start = int_param(request, "next_page_token", 0, 0, std::numeric_limits<int>::max());
    ordered_json models = ordered_json::array();
    for (size_t i = size_t(start); i < entries.size() && models.size() < size_t(limit); ++i) {
        const auto &e = entries[i];
        std::string url;
        for (const auto &v : e.versions)
            if (v->version == e.default_version) url = v->url;
        models.push_back({{"modelName", e.name}, {"modelUrl", url}});
    }
    ordered_json body;
    if (size_t(start) + models.size() < entries.size()) body["nextPageToken"] = std::to_string(start + limit);
    body["models"] = models;
    return json_response(status::ok, body);
}

http::Response describe_models(Context &context, const std::string &name, const std::string &version) {
    const auto entry = context.registry.entry(name);
    ordered_json out = ordered_json::array();
    if (version == "all") {
        for (const auto &v : entry.versions) out.push_back(describe(*v, v->version == entry.default_version));
    } else {
        const auto model = context.registry.find(name, version);
        out.push_back(describe(*model, model->version == entry.default_version));
    }
    return json_response(status::ok, out);
}

http::Response register_model(Context &context, const http::Request &request) {
    if (!context.options.enable_model_api) throw method_not_allowed();
    const std::string *url = request.param("url");
    if (!url || url->empty()) throw bad_request("Parameter url is required.");
    const std::string path = context.store.resolve(*url);
    const std::string *name_param = request.param("model_name");
    const std::string name = name_param && !name_param->empty()
                                 ? *name_param
                                 : models::ModelStore::model_name_of(url->substr(url->rfind('/') + 1));
    const std::string *version_param = request.param("model_version");
    const std::string version = version_param && !version_param->empty() ? *version_param : "1.0";
    const auto settings = context.batch_settings(int_param(request, "batch_size", -1, 1, 4096),
                                                 int_param(request, "max_batch_delay", -1, 0, 60000),
                                                 int_param(request, "initial_workers", -1, 0, 256));
    const auto model = context.load(name, version, *url, path, settings, false);
    return json_response(status::ok, {{"status", "Model \"" + name + "\" Version: " + version + " registered with " +
                                                     std::to_string(model->workers.load()) + " initial workers"}});
}

http::Response scale_model(Context &context, const http::Request &request, const std::string &name,
                           const std::string &version) {
    auto model = context.registry.find(name, version);
    const int min_worker = int_param(request, "min_worker", 1, 0, 256);
    const int max_worker = int_param(request, "max_worker", min_worker, 0, 256);
    if (max_worker < min_worker) throw bad_request("max_worker must be >= min_worker");
    model->workers.store(min_worker);  // one pool: min_worker forwards of this model may run at once
    model->max_workers.store(max_worker);
    context.batcher.workers_changed(model);
    return json_response(status::ok, {{"status", "Workers scaled to " + std::to_string(min_worker) +
                                                     " for model: " + name}});
}

http::Response unregister_model(Context &context, const std::string &name, const std::string &version) {
    if (!context.options.enable_model_api) throw method_not_allowed();
    const auto removed = context.registry.remove(name, version);
    // Requests already queued keep `removed` alive and finish; new ones get 404.
    return json_response(status::ok, {{"status", "Model \"" + name + "\" unregistered"}});
}

}  // namespace

http::Handler management_handler(Context &context) {
    return [&context](http::Request &&request, http::Respond respond) {
        request.exchange->endpoint = "management";
        const auto &s = request.segments;
        const verb method = request.raw.method();
        if (s.size() == 1 && s[0] == "token") {
            request.exchange->endpoint = "token";
            if (!context.auth) throw bad_request("token authorization is not enabled");
            if (method != verb::get) throw method_not_allowed();
            context.auth->renew(request);
            return respond(json_response(status::ok, {{"status", "Token renewed; see the key file"}}));
        }
        if (context.auth) context.auth->check(request, auth::KeyKind::management);
        if (s.empty() || s[0] != "models" || s.size() > 4) throw resource_not_found();
        if (s.size() == 1) {
            if (method == verb::get) return respond(list_models(context, request));
            if (method == verb::post) return respond(register_model(context, request));
            throw method_not_allowed();
        }
        const std::string version = s.size() >= 3 ? s[2] : "";
        if (s.size() == 4) {
            if (s[3] != "set-default") throw resource_not_found();
            if (method != verb::put) throw method_not_allowed();
            context.registry.set_default(s[1], version);
            return respond(json_response(status::ok, {{"status", "Default version successfully updated for model \"" +
                                                                     s[1] + "\" to \"" + version + "\""}}));
        }
        if (method == verb::get) return respond(describe_models(context, s[1], version));
        if (method == verb::put) return respond(scale_model(context, request, s[1], version));
        if (method == verb::delete_) return respond(unregister_model(context, s[1], version));
        throw method_not_allowed();
    };
}

http::Handler metrics_handler(Context &context) {
    return [&context](http::Request &&request, http::Respond respond) {
        request.exchange->endpoint = "metrics";
        if (request.segments.size() != 1 || request.segments[0] != "metrics") throw resource_not_found();
        if (request.raw.method() != verb::get) throw method_not_allowed();
        respond(text_response(status::ok, context.scrape(), "text/plain; version=0.0.4; charset=utf-8"));
    };
}

}  // namespace server::api
