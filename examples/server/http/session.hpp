// One HTTP/1.1 connection: reads requests under the size and time limits,
// hands each to the service's handler, writes the answers in order, and
// closes lingering so that an early error answer (413, 400) reaches the client.
#ifndef DIGITINFER_SERVER_HTTP_SESSION_HPP
#define DIGITINFER_SERVER_HTTP_SESSION_HPP

#include <memory>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "service.hpp"

namespace server::http {

class Session : public std::enable_shared_from_this<Session> {
public:
    /// `counted`: the connection holds a slot of `connections`; otherwise it only gets a 503.
    Session(boost::asio::ip::tcp::socket socket, std::shared_ptr<const Service> service,
            std::shared_ptr<Connections> connections, bool counted);
    ~Session();
    void start();
    /// Posted at shutdown: closes the connection if it is waiting for a request.
    void close_if_idle();

private:
    void read_header();
    void on_header(boost::beast::error_code ec);
    void on_body(boost::beast::error_code ec);
    void dispatch();
    void send(Response response, std::shared_ptr<const Exchange> exchange);
    void on_written(boost::beast::error_code ec, bool keep_alive);
    void answer_and_close(Response response);  ///< an answer from the HTTP layer itself
    void linger_close();
    void drain();

    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
    std::shared_ptr<const Service> service_;
    std::shared_ptr<Connections> connections_;
    bool counted_;
    std::optional<beast_http::request_parser<beast_http::string_body>> parser_;
    std::shared_ptr<Response> writing_;
    bool idle_ = false;         // waiting for the first byte of a request
    bool first_ = true;
    bool keep_alive_ = false;   // the current request's wish
    unsigned version_ = 11;     // the current request's HTTP version
    std::string remote_, method_, target_;
    uint64_t bytes_in_ = 0;
    Clock::time_point started_;
    char drain_[4096];
    size_t drained_ = 0;
};

}  // namespace server::http

#endif  // DIGITINFER_SERVER_HTTP_SESSION_HPP
