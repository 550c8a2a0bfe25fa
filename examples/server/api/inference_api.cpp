#include "inference_api.hpp"

#include <cmath>
#include <cstring>

#include "http/multipart.hpp"
#include "json_number.hpp"
#include "params.hpp"
#include "prediction_json.hpp"
#include "responses.hpp"
#include "submit.hpp"

namespace server::api {
namespace {

using http::beast_http::field;
using http::beast_http::verb;

static_assert(sizeof(float) == 4, "the Flask protocol sends IEEE float32");

bool wants_json(const http::Request &request) {
    const std::string *format = request.param("format");
    if (format) return *format == "json";
    return request.raw[field::accept].find("application/json") != boost::beast::string_view::npos;
}

// The parts of a multipart/form-data body; a malformed one is a 400.
std::vector<http::Part> form_parts(const http::Request &request, const std::string &boundary) {
    try {
        return http::parse_multipart(request.raw.body(), boundary);
    } catch (const std::invalid_argument &e) {
        throw bad_request(e.what());
    }
}

// The body of a /predictions request: the raw image, or the multipart part "data" or "file".
std::string_view image_of(const http::Request &request, std::vector<http::Part> &parts) {
    const std::string &body = request.raw.body();
    if (const auto boundary = http::multipart_boundary(request.raw[field::content_type])) {
        parts = form_parts(request, *boundary);
        const http::Part *part = http::find_part(parts, "data");
        if (!part) part = http::find_part(parts, "file");
        if (!part) throw bad_request("the multipart body has no part named 'data' or 'file' (the image)");
        if (part->body.empty()) throw bad_request("the image part is empty");
        return part->body;
    }
    if (body.empty()) throw bad_request("empty request body: send the image file as the body (curl -T digit.png)");
    return body;
}

// The image in the request body (raw or multipart) by `model`: the digit as text, ?topk=K as
// TorchServe's image classifier, or the full JSON (?format=json, Accept: application/json).
void predict_image(Context &context, http::Request &request, http::Respond respond,
                   std::shared_ptr<models::ServedModel> model) {
    const size_t top_k = size_t(int_param(request, "topk", 0, 1, model->info.num_classes));  // 0: absent
    const bool json = wants_json(request);

    // The job keeps the request (its body) alive: the image is a view into it.
    auto owner = std::make_shared<http::Request>(std::move(request));
    std::vector<http::Part> parts;
    batching::Job job;
    job.encoded.push_back(image_of(*owner, parts));
    job.count = 1;
    job.keep_alive = owner;
    submit(context, model, std::move(job), std::move(respond), [model, top_k, json](const batching::JobResult &r) {
        const digitinfer::Prediction &p = r.items[0].prediction;
        const auto &labels = model->info.labels;
        if (json) return json_response(status::ok, common::prediction_json(p, labels, top_k));
        if (top_k > 0) {  // TorchServe's image classifier: {"label": probability, ...}, most probable first
            nlohmann::ordered_json ranked = nlohmann::ordered_json::object();
            for (const auto &entry : p.top_k(top_k))
                ranked[labels[size_t(entry.index)]] = common::json_number(entry.probability);
            return json_response(status::ok, ranked);
        }
        return text_response(status::ok, labels[size_t(p.digit)]);
    });
}

void predictions(Context &context, http::Request &request, http::Respond respond) {
    request.exchange->endpoint = "predictions";
    if (request.raw.method() != verb::post && request.raw.method() != verb::put) throw method_not_allowed();
    if (request.segments.size() < 2 || request.segments.size() > 3) throw resource_not_found();
    auto model = find_model(context, request, request.segments[1],
                            request.segments.size() == 3 ? request.segments[2] : "");
    predict_image(context, request, std::move(respond), std::move(model));
}

// The first model loaded: the one the endpoints without a model name in their path use.
std::shared_ptr<models::ServedModel> first_model(Context &context, http::Request &request) {
    const std::string name = context.registry.first_name();
    if (name.empty()) throw service_unavailable("no model is loaded");
    return find_model(context, request, name, "");
}

// SageMaker's bring-your-own-container contract: POST /invocations with the image as the body is a
// prediction by the first model, answered as /predictions answers (Accept: application/json: JSON).
void invocations(Context &context, http::Request &request, http::Respond respond) {
    request.exchange->endpoint = "invocations";
    if (request.raw.method() != verb::post) throw method_not_allowed();
    auto model = first_model(context, request);
    predict_image(context, request, std::move(respond), std::move(model));
}

// Flask (SPEC §4): multipart "data" (float32 tensor bytes) + "metadata" ({"dims": [1, 28, 28]}).
void flask_test(Context &context, http::Request &request, http::Respond respond) {
    request.exchange->endpoint = "test";
    if (request.raw.method() != verb::post) throw method_not_allowed();
    auto model = first_model(context, request);
    const auto boundary = http::multipart_boundary(request.raw[field::content_type]);
    if (!boundary) throw bad_request("POST /test needs a multipart/form-data body with parts 'data' and 'metadata'");
    const std::vector<http::Part> parts = form_parts(request, *boundary);
    const http::Part *data = http::find_part(parts, "data");
    const http::Part *metadata = http::find_part(parts, "metadata");
    if (!data || !metadata) throw bad_request("POST /test needs the multipart parts 'data' and 'metadata'");
    const auto meta = nlohmann::json::parse(metadata->body, nullptr, false);
    if (meta.is_discarded() || !meta.is_object() || !meta.contains("dims") || !meta["dims"].is_array())
        throw bad_request("metadata must be JSON like {\"dims\": [1, 28, 28]}");
    std::vector<long long> dims;
    for (const auto &d : meta["dims"]) {
        if (!d.is_number_integer()) throw bad_request("metadata dims must be integers");
        dims.push_back(d.get<long long>());
    }
    const auto shape = model->model.input_shape();
    const std::vector<long long> want = {shape.channels, shape.height, shape.width};
    std::vector<long long> got = dims;
    if (got.size() == 4 && got[0] == 1) got.erase(got.begin());  // [1, C, H, W] is one image too
    if (got != want)
        throw bad_request("metadata dims " + meta["dims"].dump() + " are not the model's input [" +
                          std::to_string(want[0]) + ", " + std::to_string(want[1]) + ", " + std::to_string(want[2]) +
                          "]");
    const size_t floats = shape.floats();
    if (data->body.size() != floats * sizeof(float))
        throw bad_request("data has " + std::to_string(data->body.size()) + " bytes; dims " + meta["dims"].dump() +
                          " need " + std::to_string(floats * sizeof(float)) + " (little-endian float32)");
    batching::Job job;
    job.tensors.resize(floats);
    std::memcpy(job.tensors.data(), data->body.data(), data->body.size());  // x86-64 and aarch64: little-endian
    for (float v : job.tensors)
        if (!std::isfinite(v)) throw bad_request("data holds a NaN or infinite value");
    job.count = 1;
    submit(context, model, std::move(job), std::move(respond), [model](const batching::JobResult &r) {
        return text_response(status::ok, model->info.labels[size_t(r.items[0].prediction.digit)]);
    });
}

void ping(Context &context, http::Request &request, http::Respond respond) {
    request.exchange->endpoint = "ping";
    // Healthy only when a model can answer: loading includes a warm-up forward.
    const bool healthy = context.serving();
    respond(json_response(healthy ? status::ok : status::internal_server_error,
                          {{"status", healthy ? "Healthy" : "Unhealthy"}}));
}

}  // namespace

http::Handler inference_handler(Context &context) {
    return [&context](http::Request &&request, http::Respond respond) {
        const auto &s = request.segments;
        const verb method = request.raw.method();
        if (s.empty()) {
            request.exchange->endpoint = "page";
            if (method != verb::get) throw method_not_allowed();
            return respond(page_response());
        }
        if (s[0] == "ping" && s.size() == 1) {
            if (method != verb::get) throw method_not_allowed();
            return ping(context, request, std::move(respond));
        }
        const bool health = s[0] == "v2" && s.size() == 3 && s[1] == "health";
        if (context.auth && !health) context.auth->check(request, auth::KeyKind::inference);
        if (s[0] == "predictions") return predictions(context, request, std::move(respond));
        if (s[0] == "test" && s.size() == 1) return flask_test(context, request, std::move(respond));
        if (s[0] == "invocations" && s.size() == 1) return invocations(context, request, std::move(respond));
        if (s[0] == "v2") return handle_oip(context, request, std::move(respond));
        request.exchange->endpoint = "not_found";
        throw resource_not_found();
    };
}

}  // namespace server::api
