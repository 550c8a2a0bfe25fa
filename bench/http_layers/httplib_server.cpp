// The simplest HTTP layer for a DigitInfer model server: cpp-httplib (Debian libcpp-httplib-dev 0.11) with
// its default thread pool, for the HTTP-layer comparison of issue 9 (bench/http_layers/run.sh measures it
// next to digitinfer-server, which is on Boost.Beast/Asio).
//
//     httplib_server [--model FILE] [--host 127.0.0.1] [--port 0] [--threads N] [--nagle]
//
//   POST|PUT /predictions/convnet   body = the raw image file -> 200 text/plain, the digit
//   POST /test                      multipart: part `data` = 1x28x28 little-endian float32 normalized tensor,
//                                   part `metadata` = {"dims":[1,28,28]} -> 200 text/plain, the digit
//   GET /ping                       -> 200 {"status": "Healthy"}
//
// Port 0 = the OS picks one. Prints `httplib_server: listening on 127.0.0.1:PORT` then
// `httplib_server: ready` on stdout. SIGTERM/SIGINT stop it. --threads 0 (default) keeps cpp-httplib's
// own pool: CPPHTTPLIB_THREAD_POOL_COUNT = max(8, cores - 1) threads, and a keep-alive connection holds
// its thread until it closes (5 requests, CPPHTTPLIB_KEEPALIVE_MAX_COUNT, or 5 s idle), so beyond 8
// connections the others wait in the accept queue: the limitation this comparison is about.
//
// TCP_NODELAY is on (set_tcp_nodelay(true)); cpp-httplib's default is off, and then it writes the headers
// and the body of a response in two segments, so Nagle holds the second until the client's delayed ACK:
// ~40 ms per request on loopback (measured: 35 requests/s on 1 connection). --nagle keeps the default.
//
// Bodies sent as application/x-www-form-urlencoded (curl --data-binary without -H) are limited by
// cpp-httplib to 8 KiB (413): send images with curl -T or Content-Type: application/octet-stream.
//
// The model is loaded with num_threads = 1 (README: a server calling from many threads should), default
// the installed ${DigitInfer_MODEL_DIR}/convnet.dimodel (DIGITINFER_HTTP_LAYERS_MODEL at build time), or
// $DIGITINFER_MODEL.
#include <digitinfer/digitinfer.hpp>
#include <httplib.h>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#ifndef DIGITINFER_HTTP_LAYERS_MODEL
#define DIGITINFER_HTTP_LAYERS_MODEL "models/convnet.dimodel"
#endif

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop.store(true); }

void json_error(httplib::Response &res, int code, const std::string &type, const std::string &message) {
    std::string m;
    for (char c : message) {
        if (c == '"' || c == '\\') m += '\\';
        if (static_cast<unsigned char>(c) >= 0x20) m += c;
    }
    res.status = code;
    res.set_content("{\"code\": " + std::to_string(code) + ", \"type\": \"" + type + "\", \"message\": \"" + m + "\"}",
                    "application/json");
}

void usage() {
    std::cerr << "usage: httplib_server [--model FILE] [--host 127.0.0.1] [--port 0] [--threads N] [--nagle]\n";
    std::exit(2);
}

}  // namespace

int main(int argc, char **argv) {
    std::string model_path, host = "127.0.0.1";
    int port = 0, threads = 0;
    bool nagle = false;
    if (const char *env = std::getenv("DIGITINFER_MODEL")) model_path = env;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--nagle") {
            nagle = true;
            continue;
        }
        if (i + 1 >= argc) usage();
        if (a == "--model") model_path = argv[++i];
        else if (a == "--host") host = argv[++i];
        else if (a == "--port") port = std::atoi(argv[++i]);
        else if (a == "--threads") threads = std::atoi(argv[++i]);
        else usage();
    }
    if (model_path.empty()) model_path = DIGITINFER_HTTP_LAYERS_MODEL;

    // SIGTERM/SIGINT set a flag (Server::stop is not async-signal-safe); a thread watches it. A handler,
    // not sigwait: the disposition is process-wide, whatever threads the library may have started.
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);

    digitinfer::Model model;
    try {
        digitinfer::LoadOptions options;
        options.num_threads = 1;
        model = digitinfer::Model(model_path, options);
    } catch (const digitinfer::Error &e) {
        std::cerr << "httplib_server: cannot load " << model_path << ": " << e.what() << "\n";
        return 1;
    }
    const digitinfer::InputShape shape = model.input_shape();
    const size_t floats = shape.floats();

    httplib::Server server;
    if (threads > 0) server.new_task_queue = [threads] { return new httplib::ThreadPool(size_t(threads)); };
    server.set_tcp_nodelay(!nagle);
    server.set_payload_max_length(6553500);  // TorchServe's default max_request_size

    auto predict_image = [&model](const httplib::Request &req, httplib::Response &res) {
        if (req.body.empty()) return json_error(res, 400, "BadRequestException", "empty body: send the image file");
        di_prediction p{};
        try {
            model.predict_into(req.body.data(), req.body.size(), p);
        } catch (const digitinfer::Error &e) {
            return json_error(res, 400, "BadRequestException", e.what());
        }
        res.set_content(std::to_string(p.class_index), "text/plain");
    };
    server.Post("/predictions/convnet", predict_image);
    server.Put("/predictions/convnet", predict_image);

    const std::string dims_text = "[" + std::to_string(shape.channels) + "," + std::to_string(shape.height) + "," +
                                  std::to_string(shape.width) + "]";
    server.Post("/test", [&model, floats, dims_text](const httplib::Request &req, httplib::Response &res) {
        if (!req.is_multipart_form_data() || !req.has_file("data") || !req.has_file("metadata"))
            return json_error(res, 400, "BadRequestException", "multipart parts 'data' and 'metadata' are required");
        const std::string &data = req.get_file_value("data").content;
        std::string meta = req.get_file_value("metadata").content;
        meta.erase(std::remove_if(meta.begin(), meta.end(), [](unsigned char c) { return std::isspace(c); }),
                   meta.end());
        static const std::regex dims_re("\"dims\":(\\[[0-9,]*\\])");
        std::smatch m;
        if (!std::regex_search(meta, m, dims_re) || m[1].str() != dims_text)
            return json_error(res, 400, "BadRequestException", "metadata dims must be " + dims_text);
        if (data.size() != floats * sizeof(float))
            return json_error(res, 400, "BadRequestException",
                              "data has " + std::to_string(data.size()) + " bytes, dims need " +
                                  std::to_string(floats * sizeof(float)));
        std::vector<float> tensor(floats);
        std::memcpy(tensor.data(), data.data(), data.size());  // little-endian host
        di_prediction p{};
        digitinfer::ResultSpans out;
        out.predictions = digitinfer::Span<di_prediction>(&p, 1);
        try {
            model.predict_tensor_into(digitinfer::Span<const float>(tensor.data(), tensor.size()), 1, out);
        } catch (const digitinfer::Error &e) {
            return json_error(res, 400, "BadRequestException", e.what());
        }
        res.set_content(std::to_string(p.class_index), "text/plain");
    });
    server.Get("/ping", [](const httplib::Request &, httplib::Response &res) {
        res.set_content("{\"status\": \"Healthy\"}", "application/json");
    });

    int bound = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
    if (bound <= 0) {
        std::cerr << "httplib_server: cannot bind " << host << ":" << port << "\n";
        return 1;
    }
    std::thread stopper([&server] {
        while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        server.stop();
    });
    stopper.detach();
    std::printf("httplib_server: listening on %s:%d\n", host.c_str(), bound);
    const unsigned pool = threads > 0 ? unsigned(threads) : unsigned(CPPHTTPLIB_THREAD_POOL_COUNT);
    std::printf("httplib_server: ready (model %s, thread pool %u%s, TCP_NODELAY %s)\n", model_path.c_str(), pool,
                threads > 0 ? "" : ", cpp-httplib's default", nagle ? "off" : "on");
    std::fflush(stdout);
    const bool ok = server.listen_after_bind();
    return ok ? 0 : 1;
}
