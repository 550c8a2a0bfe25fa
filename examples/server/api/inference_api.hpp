// The inference port: TorchServe's inference API (/predictions, /ping), the
// Flask protocol (/test), the Open Inference Protocol v2 (/v2) and the drawing page (/).
#ifndef DIGITINFER_SERVER_API_INFERENCE_API_HPP
#define DIGITINFER_SERVER_API_INFERENCE_API_HPP

#include "context.hpp"
#include "http/types.hpp"

namespace server::api {

http::Handler inference_handler(Context &context);

/// The Open Inference Protocol v2 routes (request.segments[0] == "v2").
void handle_oip(Context &context, http::Request &request, http::Respond respond);

/// The drawing page (GET /).
http::Response page_response();

}  // namespace server::api

#endif  // DIGITINFER_SERVER_API_INFERENCE_API_HPP
