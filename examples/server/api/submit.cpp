#include "submit.hpp"

#include "responses.hpp"

namespace server::api {
void submit(Context &context, const std::shared_ptr<models::ServedModel> &model, batching::Job job,
            http::Respond respond, Format format, bool oip) {
    job.done = [respond, format = std::move(format), oip](batching::JobResult result) {
        const auto fail = [&](status code, const std::string &type, const std::string &message) {
            respond(oip ? oip_error_response(code, message) : error_response(code, type, message));
        };
        if (result.http_status != 200)
            return fail(static_cast<status>(result.http_status),
                        result.http_status == 503 ? "ServiceUnavailableException" : "InternalServerException",
                        result.failure);
        for (size_t i = 0; i < result.items.size(); ++i) {
            const auto &item = result.items[i];
            if (item.ok()) continue;
            const std::string which = result.items.size() > 1 ? "image " + std::to_string(i) + ": " : "";
            return fail(status::bad_request, "BadRequestException",
                        which + di_status_string(item.status) + ": " + item.message);
        }
        try {
            respond(format(result));
        } catch (const ApiError &e) {
            fail(e.code, e.type, e.what());
        } catch (const std::exception &e) {
            fail(status::internal_server_error, "InternalServerException", e.what());
        }
    };
    context.batcher.submit(model, std::move(job));
}

std::shared_ptr<models::ServedModel> find_model(Context &context, http::Request &request, const std::string &name,
                                                const std::string &version) {
    auto model = context.registry.find(name, version);
    request.exchange->model = model->name;
    return model;
}

}  // namespace server::api
