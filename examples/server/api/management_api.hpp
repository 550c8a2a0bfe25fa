// The management port: TorchServe's management API (list, describe, register,
// scale, set default version, unregister) and its token renewal.
#ifndef DIGITINFER_SERVER_API_MANAGEMENT_API_HPP
#define DIGITINFER_SERVER_API_MANAGEMENT_API_HPP

#include "context.hpp"
#include "http/types.hpp"

namespace server::api {

http::Handler management_handler(Context &context);

/// The metrics port: GET /metrics.
http::Handler metrics_handler(Context &context);

}  // namespace server::api

#endif  // DIGITINFER_SERVER_API_MANAGEMENT_API_HPP
