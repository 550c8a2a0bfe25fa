// libFuzzer target: raw HTTP request bytes through digitinfer-server's inference
// service, as a connection would hand them over (examples/server/http/session.cpp):
// Beast's request parser (request line, headers, Content-Length and chunked
// bodies, under the server's default header and body limits), parse_target
// (path segments, %-escapes, the query), then the inference handler itself:
// TorchServe's /predictions (raw body or multipart "data"/"file", topk,
// format=json), the Flask /test (multipart "data" float32 + "metadata" JSON),
// the Open Inference Protocol /v2 (JSON FP32 tensors, base64 BYTES images),
// /ping and the page. The served model is models/convnet.dimodel on one
// forward thread, as the server loads it.
//
// Expected: an HTTP answer, 4xx for a bad request. Anything else — an exception
// other than the handlers' ApiError (the session would answer 500), a 500, no
// answer within 10 s, a crash or a sanitizer report — is a bug.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>

#include "api/context.hpp"
#include "api/inference_api.hpp"
#include "api/responses.hpp"
#include "http/service.hpp"
#include "http/url.hpp"

namespace {

using namespace server;
namespace beast_http = boost::beast::http;

[[noreturn]] void broken(const std::string &what) {
    std::fprintf(stderr, "fuzz_server_request: %s\n", what.c_str());
    std::abort();
}

// What run_server() sets up for the inference listener, minus the sockets.
struct Server {
    options::ServerOptions options;
    batching::Batcher batcher{1, {}};
    api::Context context{options, {}, models::ModelStore(options.model_store, options.allowed_model_dirs), batcher,
                         nullptr, {}};
    http::Handler handler;

    Server() {
        options.model.threads = 1;
        context.load("convnet", "1.0", "convnet.dimodel", DI_FUZZ_SOURCE_DIR "/models/convnet.dimodel",
                     context.batch_settings(), true);
        context.started = true;
        handler = api::inference_handler(context);
    }
};

Server &server_once() {
    static Server s;
    return s;
}

// Session::dispatch without the socket: the answer the client would get.
unsigned answer(http::Request request) {
    auto promise = std::make_shared<std::promise<unsigned>>();
    auto future = promise->get_future();
    http::Respond respond = [promise](http::Response response) { promise->set_value(response.result_int()); };
    try {
        server_once().handler(std::move(request), respond);
    } catch (const api::ApiError &error) {
        respond(api::error_response(error));
    } catch (const std::exception &error) {
        broken(std::string("the handler threw ") + error.what() + " (a 500 for the client)");
    }
    if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) broken("no answer within 10 s");
    return future.get();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size) {
    server_once();
    beast_http::request_parser<beast_http::string_body> parser;
    const http::Limits limits;  // the server's defaults
    parser.header_limit(limits.max_header_size);
    parser.body_limit(limits.max_request_size);
    parser.eager(true);
    boost::beast::error_code ec;
    // The input is all the client sends, then it closes. (Once every byte is used, put() of an
    // empty buffer in the middle of a body returns 0 without an error: the end has to be said.)
    for (std::size_t used = 0; !parser.is_done() && !ec;) {
        const std::size_t n = used < size ? parser.put(boost::asio::buffer(data + used, size - used), ec) : 0;
        used += n;
        if (ec == beast_http::error::need_more) ec = {};
        if (n == 0 && !ec) {
            parser.put_eof(ec);  // nothing more will come
            break;
        }
    }
    if (ec || !parser.is_done()) return 0;  // the session answers 400 or closes: no handler runs

    http::Request request;
    request.raw = parser.release();
    request.remote = "127.0.0.1:1";
    request.received = http::Clock::now();
    auto target = http::parse_target(request.raw.target());
    if (!target) return 0;  // 400 from the session
    request.segments = std::move(target->segments);
    request.query = std::move(target->query);
    const unsigned status = answer(std::move(request));
    if (status < 200 || status >= 600 || status == 500) broken("answered " + std::to_string(status));
    return 0;
}
