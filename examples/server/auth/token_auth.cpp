#include "token_auth.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <stdexcept>

#include <boost/beast/core/string.hpp>
#include <nlohmann/json.hpp>

#include "api/responses.hpp"
#include "logging/iso_time.hpp"

namespace server::auth {
namespace {

std::string random_key() {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::random_device entropy;  // getrandom(2) on Linux
    std::string key(24, ' ');
    for (char &c : key) c = alphabet[entropy() % 64];
    return key;
}

api::ApiError refused() {
    return api::ApiError(api::status::unauthorized, "InvalidKeyException",
                         "Token Authorization failed. Token either incorrect, expired, or not provided correctly");
}

// Constant-time comparison: the time taken does not tell how much of a guess was right.
bool same(const std::string &a, boost::beast::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

boost::beast::string_view bearer(const http::Request &request) {
    const auto header = request.raw[http::beast_http::field::authorization];
    if (header.size() < 7 || !boost::beast::iequals(header.substr(0, 7), "Bearer ")) return {};
    return header.substr(7);
}

}  // namespace

TokenAuth::TokenAuth(std::string key_file, std::chrono::minutes lifetime)
    : path_(std::move(key_file)), lifetime_(lifetime) {
    const auto expires = std::chrono::system_clock::now() + lifetime_;
    inference_ = {random_key(), expires};
    management_ = {random_key(), expires};
    api_key_ = random_key();
    std::lock_guard lock(mutex_);
    write_file();
}

TokenAuth::~TokenAuth() { ::unlink(path_.c_str()); }

void TokenAuth::write_file() const {
    nlohmann::ordered_json file;
    file["management"] = {{"key", management_.value}, {"expiration time", logging::iso_time(management_.expires)}};
    file["inference"] = {{"key", inference_.value}, {"expiration time", logging::iso_time(inference_.expires)}};
    file["API"] = {{"key", api_key_}};
    const std::string text = file.dump(2) + "\n";
    const std::string temp = path_ + ".tmp";
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot write the key file '" + temp + "': " + std::strerror(errno));
    const bool written = ::fchmod(fd, 0600) == 0 && ::write(fd, text.data(), text.size()) == ssize_t(text.size());
    ::close(fd);
    if (!written || ::rename(temp.c_str(), path_.c_str()) != 0)
        throw std::runtime_error("cannot write the key file '" + path_ + "': " + std::strerror(errno));
}

void TokenAuth::check(const http::Request &request, KeyKind kind) const {
    const auto token = bearer(request);
    std::lock_guard lock(mutex_);
    const Key &key = kind == KeyKind::inference ? inference_ : management_;
    if (token.empty() || !same(key.value, token) || std::chrono::system_clock::now() > key.expires) throw refused();
}

std::string TokenAuth::renew(const http::Request &request) {
    const std::string *type = request.param("type");
    std::lock_guard lock(mutex_);
    if (!same(api_key_, bearer(request))) throw refused();
    if (!type || (*type != "inference" && *type != "management"))
        throw api::bad_request("type must be 'inference' or 'management'");
    Key &key = *type == "inference" ? inference_ : management_;
    key = {random_key(), std::chrono::system_clock::now() + lifetime_};
    write_file();
    return path_;
}

}  // namespace server::auth
