#include "session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "api/responses.hpp"
#include "url.hpp"

namespace server::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using beast_http::field;
using beast_http::status;

namespace {

constexpr auto kLinger = std::chrono::seconds(2);  // how long a closing connection's input is drained
constexpr size_t kLingerBytes = 1 << 20;
constexpr std::chrono::milliseconds kRejectWait{1000};

std::string remote_of(const asio::ip::tcp::socket &socket) {
    boost::system::error_code ec;
    const auto endpoint = socket.remote_endpoint(ec);
    if (ec) return "?";
    const auto address = endpoint.address();
    return (address.is_v6() ? "[" + address.to_string() + "]" : address.to_string()) + ":" +
           std::to_string(endpoint.port());
}

}  // namespace

Session::Session(asio::ip::tcp::socket socket, std::shared_ptr<const Service> service,
                 std::shared_ptr<Connections> connections, bool counted)
    : stream_(std::move(socket)), service_(std::move(service)), connections_(std::move(connections)),
      counted_(counted) {
    remote_ = remote_of(stream_.socket());
}

Session::~Session() {
    if (counted_) connections_->release();
}

void Session::start() {
    // Run on the connection's strand: every member below is touched only there.
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
}

void Session::close_if_idle() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
        if (self->idle_ && self->buffer_.size() == 0) {
            beast::error_code ignored;
            self->stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
            self->stream_.close();
        }
    });
}

void Session::read_header() {
    const Limits &limits = connections_->limits();
    parser_.emplace();
    parser_->header_limit(limits.max_header_size);
    parser_->body_limit(limits.max_request_size);
    idle_ = true;
    // A connection over the limit only waits long enough to read the header it gets a 503 for.
    stream_.expires_after(!counted_ ? std::min(limits.read_timeout, kRejectWait)
                                    : first_ ? limits.read_timeout : limits.keep_alive_timeout);
    first_ = false;
    beast_http::async_read_header(stream_, buffer_, *parser_,
                                  [self = shared_from_this()](beast::error_code ec, size_t bytes) {
                                      self->bytes_in_ = bytes;
                                      self->on_header(ec);
                                  });
}

void Session::on_header(beast::error_code ec) {
    idle_ = false;
    started_ = Clock::now();
    if (ec == beast_http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::bad_descriptor) {
        // The client left, stayed idle too long, or shutdown closed an idle connection.
        if (ec == beast::error::timeout && buffer_.size() > 0)
            return answer_and_close(api::error_response(status::request_timeout, "RequestTimeoutException",
                                                        "the request was not received in time"));
        return stream_.close();
    }
    if (ec == beast_http::error::body_limit)  // Content-Length above the limit, known from the header
        return answer_and_close(api::error_response(
            status::payload_too_large, "RequestTooLargeException",
            "request body larger than max_request_size (" +
                std::to_string(connections_->limits().max_request_size) + " bytes)"));
    if (ec == beast_http::error::header_limit)
        return answer_and_close(api::error_response(status::request_header_fields_too_large,
                                                    "BadRequestException", "request header too large"));
    if (ec) return answer_and_close(api::error_response(status::bad_request, "BadRequestException",
                                                         "malformed HTTP request: " + ec.message()));
    const auto &header = parser_->get();
    method_ = std::string(header.method_string());
    target_ = std::string(header.target());
    if (!counted_)
        return answer_and_close(api::error_response(status::service_unavailable, "ServiceUnavailableException",
                                                    "too many connections (max_connections = " +
                                                        std::to_string(connections_->limits().max_connections) +
                                                        "); retry later"));
    if (beast::iequals(header[field::expect], "100-continue")) {
        // curl sends large uploads only after this; the header was acceptable.
        auto proceed = std::make_shared<beast_http::response<beast_http::empty_body>>(status::continue_, 11);
        beast_http::async_write(stream_, *proceed,
                                [self = shared_from_this(), proceed](beast::error_code write_ec, size_t) {
                                    if (write_ec) return self->stream_.close();
                                    self->on_header({});
                                });
        parser_->get().erase(field::expect);
        return;
    }
    stream_.expires_after(connections_->limits().read_timeout);
    beast_http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code e, size_t n) {
        self->bytes_in_ += n;
        self->on_body(e);
    });
}

void Session::on_body(beast::error_code ec) {
    if (ec == beast_http::error::body_limit)  // chunked, or a body longer than announced
        return answer_and_close(api::error_response(
            status::payload_too_large, "RequestTooLargeException",
            "request body larger than max_request_size (" +
                std::to_string(connections_->limits().max_request_size) + " bytes)"));
    if (ec == beast::error::timeout) return stream_.close();  // the client stalled mid-body
    if (ec == beast_http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == asio::error::operation_aborted || ec == beast_http::error::partial_message)
        return stream_.close();
    if (ec) return answer_and_close(api::error_response(status::bad_request, "BadRequestException",
                                                         "malformed HTTP request: " + ec.message()));
    dispatch();
}

void Session::dispatch() {
    Request request;
    request.raw = parser_->release();
    keep_alive_ = request.raw.keep_alive();
    version_ = request.raw.version();
    request.remote = remote_;
    request.received = Clock::now();
    auto target = parse_target(request.raw.target());
    if (!target)
        return send(api::error_response(status::bad_request, "BadRequestException",
                                        "malformed request target (not an origin-form path, or a bad %-escape)"),
                    nullptr);
    request.segments = std::move(target->segments);
    request.query = std::move(target->query);
    std::shared_ptr<const Exchange> exchange = request.exchange;
    stream_.expires_never();  // the handler's own time: forwards are bounded, slow clients are not here
    auto self = shared_from_this();
    Respond respond = [self, exchange](Response response) {
        asio::post(self->stream_.get_executor(), [self, exchange, response = std::move(response)]() mutable {
            self->send(std::move(response), exchange);
        });
    };
    try {
        service_->handler(std::move(request), respond);
    } catch (const api::ApiError &error) {
        respond(api::error_response(error));
    } catch (const std::exception &error) {
        respond(api::error_response(status::internal_server_error, "InternalServerException", error.what()));
    }
}

void Session::send(Response response, std::shared_ptr<const Exchange> exchange) {
    const bool keep_alive = keep_alive_ && !connections_->draining();
    response.version(version_);  // an HTTP/1.0 client gets "Connection: keep-alive" when it asked for it
    response.keep_alive(keep_alive);
    response.set(field::server, "digitinfer-server");
    if (service_->observe) {
        Completed done{service_->name, remote_, method_, target_, response.result_int(), bytes_in_,
                       response.body().size(), started_, Clock::now(), std::move(exchange)};
        service_->observe(done);
    }
    writing_ = std::make_shared<Response>(std::move(response));
    stream_.expires_after(connections_->limits().write_timeout);
    beast_http::async_write(stream_, *writing_, [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
        self->on_written(ec, keep_alive);
    });
}

void Session::on_written(beast::error_code ec, bool keep_alive) {
    writing_.reset();
    if (ec) return stream_.close();
    if (!keep_alive) return linger_close();
    read_header();
}

void Session::answer_and_close(Response response) {
    keep_alive_ = false;
    if (method_.empty()) method_ = "-";
    send(std::move(response), nullptr);
}

void Session::linger_close() {
    // Half-close, then read (and drop) what the client still sends, so that it reads our answer
    // before its own unsent body would make the kernel reset the connection.
    beast::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLinger);
    drained_ = 0;
    drain();
}

void Session::drain() {
    stream_.async_read_some(asio::buffer(drain_), [self = shared_from_this()](beast::error_code ec, size_t n) {
        self->drained_ += n;
        if (ec || self->drained_ > kLingerBytes) return self->stream_.close();
        self->drain();
    });
}

}  // namespace server::http
