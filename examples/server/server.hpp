// The whole server: the listeners on their ports, the forward pool, the models,
// metrics and logs, from start to a graceful stop.
#ifndef DIGITINFER_SERVER_SERVER_HPP
#define DIGITINFER_SERVER_SERVER_HPP

#include "options/server_options.hpp"

namespace server {

/// Runs until SIGTERM or SIGINT; returns the exit status. Throws std::exception on a startup failure
/// (bad address, port taken, a startup model that does not load).
int run_server(const options::ServerOptions &options);

}  // namespace server

#endif  // DIGITINFER_SERVER_SERVER_HPP
