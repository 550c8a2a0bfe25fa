// The server's hand-written parsers on their own: multipart bodies, request
// targets, listen addresses, base64 and config.properties, with hostile inputs.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>

#include "http/base64.hpp"
#include "http/multipart.hpp"
#include "http/url.hpp"
#include "options/properties.hpp"

using namespace server::http;

namespace {

std::string form(const std::string &boundary, const std::string &parts_text) {
    return parts_text + "--" + boundary + "--\r\n";
}

std::string part(const std::string &boundary, const std::string &name, const std::string &body,
                 const std::string &extra_headers = "") {
    return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n" + extra_headers + "\r\n" +
           body + "\r\n";
}

}  // namespace

TEST_CASE("multipart: the boundary comes from the Content-Type, quoted or not") {
    CHECK(multipart_boundary("multipart/form-data; boundary=abc") == std::optional<std::string>("abc"));
    CHECK(multipart_boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\"") ==
          std::optional<std::string>("a b"));
    CHECK_FALSE(multipart_boundary("application/octet-stream"));
    CHECK_FALSE(multipart_boundary("multipart/form-data"));
    CHECK_FALSE(multipart_boundary("multipart/form-data; boundary="));
    CHECK_FALSE(multipart_boundary("multipart/form-data; boundary=\"unterminated"));
}

TEST_CASE("multipart: parts, names, filenames and binary bodies as requests sends them") {
    const std::string b = "7f1c";
    const std::string binary("\x00\r\n--7f\x01\xff", 9);  // CR LF and a boundary prefix inside the data
    const std::string body =
        form(b, part(b, "metadata", "{\"dims\":[1,28,28]}", "Content-Type: application/json\r\n") +
                    "--" + b + "\r\nContent-Disposition: form-data; name=\"data\"; filename=\"data\"\r\n\r\n" +
                    binary + "\r\n");
    const auto parts = parse_multipart(body, b);
    REQUIRE(parts.size() == 2);
    CHECK(parts[0].name == "metadata");
    CHECK(parts[0].content_type == "application/json");
    CHECK(parts[0].body == "{\"dims\":[1,28,28]}");
    CHECK(parts[1].name == "data");
    CHECK(parts[1].filename == "data");
    CHECK(std::string(parts[1].body) == binary);
    CHECK(find_part(parts, "data") == &parts[1]);
    CHECK(find_part(parts, "file") == nullptr);
}

TEST_CASE("multipart: a preamble before the first boundary is skipped") {
    const std::string body = "ignored preamble\r\n" + form("b", part("b", "file", "xyz"));
    const auto parts = parse_multipart(body, "b");
    REQUIRE(parts.size() == 1);
    CHECK(parts[0].body == "xyz");
}

TEST_CASE("multipart: malformed bodies are refused with a reason, never read out of bounds") {
    const std::string b = "bound";
    const std::string good = form(b, part(b, "data", "123"));
    // Every truncation of a valid body: an error (or, at the very end, the valid parse), no crash.
    for (size_t n = 0; n < good.size(); ++n) {
        try {
            parse_multipart(std::string_view(good).substr(0, n), b);
        } catch (const std::invalid_argument &) {
        }
    }
    CHECK_THROWS_AS(parse_multipart("no boundary at all", b), std::invalid_argument);
    CHECK_THROWS_AS(parse_multipart("--bound\r\nContent-Disposition: form-data\r\n\r\nx\r\n--bound--", b),
                    std::invalid_argument);  // no name
    CHECK_THROWS_AS(parse_multipart("--bound\r\nX-Other: 1\r\n\r\nx\r\n--bound--", b), std::invalid_argument);
    CHECK_THROWS_AS(parse_multipart("--bound\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--bound--", b),
                    std::invalid_argument);
    CHECK_THROWS_AS(parse_multipart("--bound\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx", b),
                    std::invalid_argument);  // never closed
    std::string many;
    for (int i = 0; i < 70; ++i) many += part(b, "p" + std::to_string(i), "x");
    CHECK_THROWS_AS(parse_multipart(form(b, many), b), std::invalid_argument);  // more than 64 parts
}

TEST_CASE("targets: segments and query are percent-decoded, bad escapes refused") {
    const auto t = parse_target("/predictions/my%20model/1.0?topk=3&format=json&flag&q=a+b%2Fc");
    REQUIRE(t);
    CHECK(t->segments == std::vector<std::string>{"predictions", "my model", "1.0"});
    CHECK(t->query.find("topk")->second == "3");
    CHECK(t->query.find("flag")->second.empty());
    CHECK(t->query.find("q")->second == "a b/c");
    CHECK(parse_target("//a///b/")->segments == std::vector<std::string>{"a", "b"});
    CHECK(parse_target("/")->segments.empty());
    CHECK_FALSE(parse_target("http://host/a"));  // absolute-form is not served
    CHECK_FALSE(parse_target("*"));
    CHECK_FALSE(parse_target("/a%2"));
    CHECK_FALSE(parse_target("/a%zz"));
    CHECK_FALSE(parse_target("/a?b=%"));
}

TEST_CASE("addresses: TorchServe's http://host:port spellings, IPv6, and errors") {
    CHECK(parse_address("http://127.0.0.1:8080").text() == "127.0.0.1:8080");
    CHECK(parse_address("0.0.0.0:0").port == 0);
    CHECK(parse_address("http://[::1]:8081/").text() == "[::1]:8081");
    CHECK_THROWS_AS(parse_address("https://127.0.0.1:8443"), std::invalid_argument);
    CHECK_THROWS_AS(parse_address("127.0.0.1"), std::invalid_argument);
    CHECK_THROWS_AS(parse_address("127.0.0.1:65536"), std::invalid_argument);
    CHECK_THROWS_AS(parse_address("127.0.0.1:80x"), std::invalid_argument);
    CHECK_THROWS_AS(parse_address(":8080"), std::invalid_argument);
}

TEST_CASE("base64: RFC 4648 vectors, padding optional, junk refused") {
    CHECK(base64_decode("") == std::optional<std::string>(""));
    CHECK(base64_decode("Zg==") == std::optional<std::string>("f"));
    CHECK(base64_decode("Zm8=") == std::optional<std::string>("fo"));
    CHECK(base64_decode("Zm9v") == std::optional<std::string>("foo"));
    CHECK(base64_decode("Zm9vYmFy") == std::optional<std::string>("foobar"));
    CHECK(base64_decode("Zm9vYg") == std::optional<std::string>("foob"));
    CHECK_FALSE(base64_decode("Zm9v!"));
    CHECK_FALSE(base64_decode("Z"));
    CHECK_FALSE(base64_decode("Zg=a"));
    CHECK_FALSE(base64_decode("===="));
}

TEST_CASE("config.properties: comments, separators, continuations") {
    const std::string path = std::string(DIGITINFER_BINARY_DIR) + "/test_properties.properties";
    {
        std::ofstream out(path);
        out << "# TorchServe config\n! another comment\n\ninference_address=http://127.0.0.1:0\n"
               "model_store : /tmp/store\nload_models=a.dimodel,\\\n  b.dimodel\nflag\n";
    }
    const auto props = server::options::read_properties(path);
    REQUIRE(props.size() == 4);
    CHECK(props[0] == std::pair<std::string, std::string>{"inference_address", "http://127.0.0.1:0"});
    CHECK(props[1] == std::pair<std::string, std::string>{"model_store", "/tmp/store"});
    CHECK(props[2] == std::pair<std::string, std::string>{"load_models", "a.dimodel,b.dimodel"});
    CHECK(props[3] == std::pair<std::string, std::string>{"flag", ""});
    std::remove(path.c_str());
    CHECK_THROWS_AS(server::options::read_properties(path), std::runtime_error);
}
