// Accepts connections on one address and starts a Session for each; over the
// connection limit a connection gets a 503 answer instead of service.
#ifndef DIGITINFER_SERVER_HTTP_LISTENER_HPP
#define DIGITINFER_SERVER_HTTP_LISTENER_HPP

#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "service.hpp"
#include "url.hpp"

namespace server::http {

class Listener : public std::enable_shared_from_this<Listener> {
public:
    /// Binds and listens; throws std::runtime_error naming the address when it cannot.
    Listener(boost::asio::io_context &io, const Address &address, std::shared_ptr<const Service> service,
             std::shared_ptr<Connections> connections);
    uint16_t port() const;  ///< the bound port (the OS's choice for port 0)
    void start();
    void stop();            ///< stops accepting; open connections are left to Connections::drain

private:
    void accept();

    boost::asio::io_context &io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer retry_;
    std::shared_ptr<const Service> service_;
    std::shared_ptr<Connections> connections_;
};

}  // namespace server::http

#endif  // DIGITINFER_SERVER_HTTP_LISTENER_HPP
