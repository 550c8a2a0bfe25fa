// Token authorization as TorchServe (>= 0.11) does it: at start, random
// inference, management and API keys are written to key_file.json (mode 0600);
// requests carry "Authorization: Bearer <key>"; the inference and management
// keys expire and the API key renews them (GET /token?type=... on management).
#ifndef DIGITINFER_SERVER_AUTH_TOKEN_AUTH_HPP
#define DIGITINFER_SERVER_AUTH_TOKEN_AUTH_HPP

#include <chrono>
#include <mutex>
#include <string>

#include "http/types.hpp"

namespace server::auth {

enum class KeyKind { inference, management };

class TokenAuth {
public:
    /// Creates the keys and writes `key_file`; throws std::runtime_error when it cannot.
    TokenAuth(std::string key_file, std::chrono::minutes lifetime);
    ~TokenAuth();  ///< removes the key file, as TorchServe does at shutdown
    TokenAuth(const TokenAuth &) = delete;
    TokenAuth &operator=(const TokenAuth &) = delete;

    /// Throws api::ApiError 401 unless the request carries the valid, unexpired key of `kind`.
    void check(const http::Request &request, KeyKind kind) const;
    /// GET /token?type=inference|management with the API key: a new key of that kind; returns the key file.
    std::string renew(const http::Request &request);

private:
    struct Key {
        std::string value;
        std::chrono::system_clock::time_point expires;
    };
    void write_file() const;  // with mutex_ held

    std::string path_;
    std::chrono::minutes lifetime_;
    mutable std::mutex mutex_;
    Key inference_, management_;
    std::string api_key_;
};

}  // namespace server::auth

#endif  // DIGITINFER_SERVER_AUTH_TOKEN_AUTH_HPP
