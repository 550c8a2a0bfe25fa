// What a listener serves, and the limits it enforces before any handler runs.
#ifndef DIGITINFER_SERVER_HTTP_SERVICE_HPP
#define DIGITINFER_SERVER_HTTP_SERVICE_HPP

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>

#include "types.hpp"

namespace server::http {

struct Limits {
    uint64_t max_request_size = 6553500;  ///< bytes of body (TorchServe's default max_request_size)
    uint32_t max_header_size = 16 * 1024;
    std::chrono::milliseconds read_timeout{30000};        ///< to read one request, from its first byte
    std::chrono::milliseconds write_timeout{30000};       ///< to write one response
    std::chrono::milliseconds keep_alive_timeout{60000};  ///< idle wait for the next request
    int max_connections = 1024;                           ///< open connections over all listeners
};

/// One finished exchange, for the access log and the request metrics.
struct Completed {
    const char *listener;  ///< "inference", "management", "metrics"
    std::string remote, method, target;
    unsigned status = 0;
    uint64_t bytes_in = 0, bytes_out = 0;
    Clock::time_point started, finished;
    std::shared_ptr<const Exchange> exchange;  ///< null when the HTTP layer answered alone
};

struct Service {
    const char *name;  ///< the listener's name, in logs and metrics
    Handler handler;
    std::function<void(const Completed &)> observe;  ///< may be empty
};

class Session;

/// The connections of every listener: the limit on their number and, at shutdown, closing the idle ones.
class Connections {
public:
    explicit Connections(Limits limits) : limits_(limits) {}
    const Limits &limits() const noexcept { return limits_; }
    /// Counts a new connection; false when the limit is reached (the caller answers 503 and closes).
    bool admit();
    void add(const std::shared_ptr<Session> &session);
    void release();                           ///< a counted connection closed
    int open() const noexcept { return open_.load(); }
    bool draining() const noexcept { return draining_.load(); }
    /// Stop keeping connections alive; close those waiting for a request.
    void drain();

private:
    Limits limits_;
    std::atomic<int> open_{0};
    std::atomic<bool> draining_{false};
    std::mutex mutex_;
    std::list<std::weak_ptr<Session>> sessions_;
};

}  // namespace server::http

#endif  // DIGITINFER_SERVER_HTTP_SERVICE_HPP
