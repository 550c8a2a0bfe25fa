// The Open Inference Protocol v2, REST (KServe, Triton, MLServer): health,
// server and model metadata, readiness, and infer with an FP32 [N, C, H, W]
// tensor or a BYTES [N] input of base64-encoded image files.
#include <algorithm>
#include <cmath>

#include "digitinfer/digitinfer.hpp"
#include "http/base64.hpp"
#include "inference_api.hpp"
#include "json_number.hpp"
#include "responses.hpp"
#include "submit.hpp"

namespace server::api {
namespace {

using http::beast_http::verb;
using nlohmann::json;
using nlohmann::ordered_json;

const char *const kOutputs[] = {"digit", "probabilities", "log_probabilities"};

ordered_json model_metadata(const models::ModelRegistry::Entry &entry, const models::ServedModel &model) {
    const auto shape = model.model.input_shape();
    const int classes = model.info.num_classes;
    ordered_json versions = ordered_json::array();
    for (const auto &v : entry.versions) versions.push_back(v->version);
    return {{"name", model.name},
            {"versions", versions},
            {"platform", "digitinfer"},
            {"inputs",
             {{{"name", "input"}, {"datatype", "FP32"}, {"shape", {-1, shape.channels, shape.height, shape.width}}},
              {{"name", "image"}, {"datatype", "BYTES"}, {"shape", {-1}}}}},
            {"outputs",
             {{{"name", "digit"}, {"datatype", "INT64"}, {"shape", {-1}}},
              {{"name", "probabilities"}, {"datatype", "FP32"}, {"shape", {-1, classes}}},
              {{"name", "log_probabilities"}, {"datatype", "FP32"}, {"shape", {-1, classes}}}}}};
}

void flatten_numbers(const json &value, std::vector<float> &out, size_t limit) {
    if (value.is_array()) {
        for (const auto &v : value) flatten_numbers(v, out, limit);
        return;
    }
    if (!value.is_number()) throw bad_request("FP32 data must hold only numbers");
    if (out.size() == limit) throw bad_request("the input data has more elements than its shape");
    out.push_back(value.get<float>());
}

// Reads the request's one input into `job`; returns N.
size_t read_input(const json &body, const models::ServedModel &model, batching::Job &job, std::string &id) {
    if (!body.is_object()) throw bad_request("the infer request must be a JSON object");
    if (body.contains("id")) {
        if (!body["id"].is_string()) throw bad_request("id must be a string");
        id = body["id"].get<std::string>();
    }
    if (!body.contains("inputs") || !body["inputs"].is_array() || body["inputs"].size() != 1)
        throw bad_request("inputs must be an array of exactly one input (FP32 tensor or BYTES images)");
    const json &input = body["inputs"][0];
    if (!input.is_object() || !input.contains("shape") || !input["shape"].is_array() || !input.contains("datatype") ||
        !input["datatype"].is_string() || !input.contains("data"))
        throw bad_request("an input needs name, shape, datatype and data");
    std::vector<int64_t> shape;
    for (const auto &d : input["shape"]) {
        if (!d.is_number_integer() || d.get<int64_t>() < 0) throw bad_request("shape must hold non-negative integers");
        shape.push_back(d.get<int64_t>());
    }
    const std::string datatype = input["datatype"].get<std::string>();
    const auto want = model.model.input_shape();
    if (datatype == "FP32") {
        if (shape.size() != 4 || shape[1] != want.channels || shape[2] != want.height || shape[3] != want.width)
            throw bad_request("an FP32 input must have shape [N, " + std::to_string(want.channels) + ", " +
                              std::to_string(want.height) + ", " + std::to_string(want.width) + "]");
        if (shape[0] < 1 || uint64_t(shape[0]) > DI_MAX_BATCH) throw bad_request("N must be in [1, 65536]");
        const size_t n = size_t(shape[0]);
        job.tensors.reserve(n * want.floats());
        flatten_numbers(input["data"], job.tensors, n * want.floats());
        if (job.tensors.size() != n * want.floats())
            throw bad_request("the input data has " + std::to_string(job.tensors.size()) + " elements; its shape needs " +
                              std::to_string(n * want.floats()));
        for (float v : job.tensors)
            if (!std::isfinite(v)) throw bad_request("the input data holds a NaN or infinite value");
        return n;
    }
    if (datatype == "BYTES") {
        if (shape.size() != 1 || shape[0] < 1 || uint64_t(shape[0]) > DI_MAX_BATCH)
            throw bad_request("a BYTES input must have shape [N], N >= 1: one encoded image file per element");
        const json &data = input["data"];
        if (!data.is_array() || data.size() != size_t(shape[0]))
            throw bad_request("a BYTES input's data must be an array of N base64 strings");
        auto files = std::make_shared<std::vector<std::string>>();
        for (const auto &element : data) {
            if (!element.is_string()) throw bad_request("BYTES elements must be base64 strings of image files");
            auto bytes = http::base64_decode(element.get<std::string>());
            if (!bytes) throw bad_request("a BYTES element is not valid base64");
            files->push_back(std::move(*bytes));
        }
        for (const auto &f : *files) job.encoded.emplace_back(f);
        job.keep_alive = files;
        return files->size();
    }
    throw bad_request("unsupported datatype '" + datatype + "' (FP32 or BYTES)");
}

std::vector<std::string> requested_outputs(const json &body) {
    std::vector<std::string> names;
    if (!body.contains("outputs")) return {std::begin(kOutputs), std::end(kOutputs)};
    if (!body["outputs"].is_array()) throw bad_request("outputs must be an array");
    for (const auto &o : body["outputs"]) {
        if (!o.is_object() || !o.contains("name") || !o["name"].is_string()) throw bad_request("an output needs a name");
        const std::string name = o["name"].get<std::string>();
        if (std::find(std::begin(kOutputs), std::end(kOutputs), name) == std::end(kOutputs))
            throw bad_request("unknown output '" + name + "' (digit, probabilities or log_probabilities)");
        names.push_back(name);
    }
    return names;
}

void infer(Context &context, http::Request &request, http::Respond respond,
           const std::shared_ptr<models::ServedModel> &model) {
    request.exchange->endpoint = "v2_infer";
    if (request.raw.method() != verb::post) throw method_not_allowed();
    const json body = json::parse(request.raw.body(), nullptr, false);
    if (body.is_discarded()) throw bad_request("the body is not valid JSON");
    batching::Job job;
    std::string id;
    job.count = read_input(body, *model, job, id);
    const auto outputs = requested_outputs(body);
    submit(context, model, std::move(job), std::move(respond), [model, id, outputs](const batching::JobResult &r) {
        const size_t n = r.items.size();
        const int classes = model->info.num_classes;
        ordered_json out = {{"model_name", model->name}, {"model_version", model->version}};
        if (!id.empty()) out["id"] = id;
        out["outputs"] = ordered_json::array();
        for (const auto &name : outputs) {
            ordered_json data = ordered_json::array();
            for (const auto &item : r.items) {
                if (name == "digit") {
                    data.push_back(item.prediction.digit);
                    continue;
                }
                const auto &scores = name == "probabilities" ? item.prediction.probabilities
                                                             : item.prediction.log_probabilities;
                for (float v : scores) data.push_back(common::json_number(v));
            }
            const bool digit = name == "digit";
            out["outputs"].push_back({{"name", name},
                                      {"datatype", digit ? "INT64" : "FP32"},
                                      {"shape", digit ? ordered_json{n} : ordered_json{n, classes}},
                                      {"data", data}});
        }
        return json_response(status::ok, out);
    }, /*oip errors*/ true);
}

}  // namespace

void handle_oip(Context &context, http::Request &request, http::Respond respond) {
    const auto &s = request.segments;
    const verb method = request.raw.method();
    try {
        if (s.size() == 1) {  // server metadata
            request.exchange->endpoint = "v2_metadata";
            if (method != verb::get) throw method_not_allowed();
            return respond(json_response(status::ok, {{"name", "digitinfer-server"},
                                                      {"version", digitinfer::version()},
                                                      {"extensions", json::array()}}));
        }
        if (s.size() == 3 && s[1] == "health" && (s[2] == "live" || s[2] == "ready")) {
            request.exchange->endpoint = "v2_health";
            if (method != verb::get) throw method_not_allowed();
            if (s[2] == "live") return respond(json_response(status::ok, {{"live", true}}));
            const bool ready = context.serving();
            return respond(json_response(ready ? status::ok : status::service_unavailable, {{"ready", ready}}));
        }
        if (s.size() < 3 || s[1] != "models") throw resource_not_found();
        // /v2/models/{name}[/versions/{v}][/ready|/infer]
        std::string version;
        size_t rest = 3;
        if (s.size() >= 5 && s[3] == "versions") {
            version = s[4];
            rest = 5;
        }
        if (s.size() > rest + 1) throw resource_not_found();
        auto model = find_model(context, request, s[2], version);
        if (s.size() == rest) {
            request.exchange->endpoint = "v2_metadata";
            if (method != verb::get) throw method_not_allowed();
            return respond(json_response(status::ok, model_metadata(context.registry.entry(model->name), *model)));
        }
        if (s[rest] == "ready") {
            request.exchange->endpoint = "v2_ready";
            if (method != verb::get) throw method_not_allowed();
            const bool ready = model->workers.load() > 0;
            return respond(json_response(ready ? status::ok : status::service_unavailable,
                                         {{"name", model->name}, {"ready", ready}}));
        }
        if (s[rest] == "infer") return infer(context, request, respond, model);  // a copy: the catch below may answer
        throw resource_not_found();
    } catch (const ApiError &e) {
        respond(oip_error_response(e.code, e.what()));
    }
}

}  // namespace server::api
