// Sending a request's images to the forward pool and its answer back: the one
// path every prediction endpoint takes.
#ifndef DIGITINFER_SERVER_API_SUBMIT_HPP
#define DIGITINFER_SERVER_API_SUBMIT_HPP

#include <functional>
#include <memory>

#include "context.hpp"
#include "http/types.hpp"

namespace server::api {

/// Turns a job's results (every image succeeded) into the response; may throw ApiError.
using Format = std::function<http::Response(const batching::JobResult &)>;

/// Queues `job` on `model`; when it is done, answers with `format`, or with the first failed image's
/// error (400, its library message) or the job's failure (503/500). Throws ApiError 503 when the model has
/// no workers.
void submit(Context &context, const std::shared_ptr<models::ServedModel> &model, batching::Job job,
            http::Respond respond, Format format, bool json_errors_as_oip = false);

/// The model a request names ({name} and an optional {version} segment), recorded in the exchange.
std::shared_ptr<models::ServedModel> find_model(Context &context, http::Request &request, const std::string &name,
                                                const std::string &version);

}  // namespace server::api

#endif  // DIGITINFER_SERVER_API_SUBMIT_HPP
