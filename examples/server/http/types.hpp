// What a handler sees of an HTTP exchange: the parsed request (path split and
// percent-decoded, query parsed) and a callback that sends the response. The
// callback may be called from any thread, once.
#ifndef DIGITINFER_SERVER_HTTP_TYPES_HPP
#define DIGITINFER_SERVER_HTTP_TYPES_HPP

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/beast/http.hpp>

namespace server::http {

namespace beast_http = boost::beast::http;

using RawRequest = beast_http::request<beast_http::string_body>;
using Response = beast_http::response<beast_http::string_body>;
using Clock = std::chrono::steady_clock;

/// What the access log and the request metrics learn from a handler.
struct Exchange {
    std::string endpoint = "other";  ///< e.g. "predictions", "test", "v2_infer": a metrics label
    std::string model;               ///< the model it addressed, or ""
};

struct Request {
    RawRequest raw;
    std::vector<std::string> segments;              ///< "/a/b%20c" -> {"a", "b c"}
    std::multimap<std::string, std::string> query;  ///< "?k=v&k2" -> {k: v, k2: ""}
    std::string remote;                             ///< "127.0.0.1:5555"
    Clock::time_point received;                     ///< when the whole request had been read
    std::shared_ptr<Exchange> exchange = std::make_shared<Exchange>();

    /// The first value of query parameter `key`, or nullptr.
    const std::string *param(const std::string &key) const {
        const auto it = query.find(key);
        return it == query.end() ? nullptr : &it->second;
    }
    std::string header(beast_http::field field) const { return std::string(raw[field]); }
};

using Respond = std::function<void(Response)>;
using Handler = std::function<void(Request &&, Respond)>;

}  // namespace server::http

#endif  // DIGITINFER_SERVER_HTTP_TYPES_HPP
