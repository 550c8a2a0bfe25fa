#include "listener.hpp"

#include <stdexcept>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "session.hpp"

namespace server::http {

namespace asio = boost::asio;
using asio::ip::tcp;

bool Connections::admit() {
    if (draining_) return false;
    if (open_.fetch_add(1) < limits_.max_connections) return true;
    open_.fetch_sub(1);
    return false;
}

void Connections::add(const std::shared_ptr<Session> &session) {
    std::lock_guard lock(mutex_);
    sessions_.remove_if([](const std::weak_ptr<Session> &s) { return s.expired(); });
    sessions_.push_back(session);
}

void Connections::release() { open_.fetch_sub(1); }

void Connections::drain() {
    draining_ = true;
    std::lock_guard lock(mutex_);
    for (const auto &weak : sessions_)
        if (auto session = weak.lock()) session->close_if_idle();
}

Listener::Listener(asio::io_context &io, const Address &address, std::shared_ptr<const Service> service,
                   std::shared_ptr<Connections> connections)
    : io_(io), acceptor_(asio::make_strand(io)), retry_(acceptor_.get_executor()), service_(std::move(service)),
      connections_(std::move(connections)) {
    boost::system::error_code ec;
    const auto ip = asio::ip::make_address(address.host, ec);
    if (ec) throw std::runtime_error("bad listen address '" + address.host + "' (an IP address is needed)");
    const tcp::endpoint endpoint(ip, address.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        throw std::runtime_error(std::string(service_->name) + ": cannot listen on " + address.text() + ": " +
                                 ec.message());
}

uint16_t Listener::port() const { return acceptor_.local_endpoint().port(); }

void Listener::start() { accept(); }

void Listener::stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
        boost::system::error_code ignored;
        self->acceptor_.close(ignored);
        self->retry_.cancel();
    });
}

void Listener::accept() {
    acceptor_.async_accept(asio::make_strand(io_), [self = shared_from_this()](boost::system::error_code ec,
                                                                               tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
        if (!ec) {
            socket.set_option(tcp::no_delay(true), ec);
            const bool counted = self->connections_->admit();
            auto session = std::make_shared<Session>(std::move(socket), self->service_, self->connections_, counted);
            if (counted) self->connections_->add(session);
            session->start();
        }
        if (!ec) return self->accept();
        // EMFILE and friends: retry shortly (not at once: that would spin) once connections may have closed.
        self->retry_.expires_after(std::chrono::milliseconds(50));
        self->retry_.async_wait([self](boost::system::error_code) { self->accept(); });
    });
}

}  // namespace server::http
