// 8 threads share one model for 100,000 predictions on mixed valid and hostile
// input, through the public C API; every call's status, message and results
// must equal what the same call gave in a serial run first.
//
//   concurrency_predict MODEL ENGINE IMAGE_DIR... [--threads N] [--predictions N]
//
// ENGINE: native or libtorch. Every file of each IMAGE_DIR (valid images and
// corrupt, truncated or non-image files) is one encoded case, and its first half
// another; gray buffers come with good, short, overflowing and absurd strides,
// NULL pointers and zero sizes; batches mix them, with and without per-image
// statuses. The environment variable DIGITINFER_CONCURRENCY_PREDICTIONS overrides
// the count (the TSan and valgrind runs lower it); DIGITINFER_CONCURRENCY_THREADS_PER_CALL
// fixes every call's thread count (the load option and each *_ex call's), otherwise
// the model's default and 0-2 per call. Under TSan it is 1: GNU libgomp is not
// instrumented, so TSan cannot see its barriers and would report every OpenMP team's
// hand-over as a race; with one thread per call, the races it can find are the ones
// between the 8 threads sharing the model. Exit status 0 and "concurrency ok" when
// every result matched.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "digitinfer/digitinfer.h"

namespace {

namespace fs = std::filesystem;

int threads_per_call = 0;  // > 0: DIGITINFER_CONCURRENCY_THREADS_PER_CALL

// What one call returned: everything a caller could observe.
struct Outcome {
    int status = 0;
    std::string message;                  // di_last_error_message() after a failure
    std::vector<di_status> statuses;      // per image, for the *_ex calls
    std::vector<std::string> messages;    // per image, for the *_ex calls
    std::vector<int32_t> classes;
    std::vector<uint32_t> score_bits;     // probabilities, bit for bit (NaN rows compare too)

    bool operator==(const Outcome &o) const {
        return status == o.status && message == o.message && statuses == o.statuses && messages == o.messages &&
               classes == o.classes && score_bits == o.score_bits;
    }
};

struct Case {
    std::string name;
    size_t images;  // predictions it makes (counts toward the total)
    std::function<Outcome(const di_model *)> run;
};

struct Buffers {
    std::vector<std::vector<uint8_t>> files;  // kept alive for the cases' views
    std::vector<uint8_t> gray;
};

std::vector<uint8_t> read_file(const fs::path &path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

uint32_t bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}

// Runs `call` with result arrays for `count` images and fills the Outcome.
Outcome collect(size_t count, int classes, const std::function<di_status(di_prediction *, float *, size_t)> &call) {
    std::vector<di_prediction> predictions(count, di_prediction{-2, -2.0f});
    std::vector<float> scores(count * size_t(classes), -2.0f);
    Outcome o;
    o.status = call(predictions.data(), scores.data(), scores.size());
    if (o.status != DI_OK) o.message = di_last_error_message();
    for (const auto &p : predictions) {
        o.classes.push_back(p.class_index);
        o.score_bits.push_back(bits(p.probability));
    }
    for (float s : scores) o.score_bits.push_back(bits(s));
    return o;
}

Outcome encoded(const di_model *model, int classes, const void *data, size_t size) {
    return collect(1, classes, [&](di_prediction *p, float *s, size_t capacity) {
        di_outputs out = di_outputs_default();
        out.predictions = p;
        out.probabilities = s;
        out.scores_capacity = capacity;
        return di_model_predict_encoded(model, data, size, &out);
    });
}

Outcome gray(const di_model *model, int classes, const di_gray_image *image) {
    return collect(1, classes, [&](di_prediction *p, float *s, size_t capacity) {
        di_outputs out = di_outputs_default();
        out.predictions = p;
        out.probabilities = s;
        out.scores_capacity = capacity;
        return di_model_predict_gray(model, image, &out);
    });
}

// An *_ex call; with_statuses: per-image statuses (a bad image fails alone).
template <class Image, class Call>
Outcome batch_ex(int classes, const std::vector<Image> &images, bool with_statuses, int threads, Call call) {
    if (threads_per_call > 0) threads = threads_per_call;
    std::vector<di_status> statuses(images.size(), di_status(1));
    std::vector<const char *> messages(images.size(), nullptr);
    std::vector<std::string> copied;  // borrowed until this thread's next DigitInfer call: copy them first
    Outcome o = collect(images.size(), classes, [&](di_prediction *p, float *s, size_t capacity) {
        di_results results = di_results_default();
        results.predictions = p;
        results.probabilities = s;
        results.scores_capacity = capacity;
        if (with_statuses) {
            results.statuses = statuses.data();
            results.messages = messages.data();
        }
        di_predict_options opts = di_predict_options_default();
        opts.num_threads = threads;
        const di_status status = call(images.data(), images.size(), &opts, &results);
        for (const char *m : messages) copied.push_back(m ? m : "(null)");
        return status;
    });
    if (with_statuses) {
        o.statuses = statuses;
        o.messages = copied;
    }
    return o;
}

std::vector<Case> make_cases(const std::vector<std::string> &dirs, int classes, Buffers &buffers) {
    std::vector<Case> cases;
    // Encoded: each file whole and its first half (truncated).
    std::vector<fs::path> paths;
    for (const auto &dir : dirs)
        for (const auto &entry : fs::directory_iterator(dir))
            if (entry.is_regular_file()) paths.push_back(entry.path());
    std::sort(paths.begin(), paths.end());
    buffers.files.reserve(paths.size());
    std::vector<di_encoded_image> all;
    for (const auto &path : paths) {
        buffers.files.push_back(read_file(path));
        const auto &bytes = buffers.files.back();
        for (size_t size : {bytes.size(), bytes.size() / 2}) {
            const uint8_t *data = bytes.data();
            cases.push_back({path.filename().string() + " (" + std::to_string(size) + " bytes)", 1,
                             [=](const di_model *m) { return encoded(m, classes, data, size); }});
            all.push_back({data, size});
        }
    }
    cases.push_back({"encoded NULL, size 0", 1, [=](const di_model *m) { return encoded(m, classes, nullptr, 0); }});
    cases.push_back({"encoded NULL, size 10", 1, [=](const di_model *m) { return encoded(m, classes, nullptr, 10); }});
    const uint8_t *first = buffers.files.empty() ? nullptr : buffers.files[0].data();
    cases.push_back({"NULL model", 1, [=](const di_model *) { return encoded(nullptr, classes, first, 8); }});

    // Gray: a 64x64 ramp with a bright square (a blob the model sees as some digit).
    buffers.gray.resize(64 * 64);
    for (size_t i = 0; i < buffers.gray.size(); ++i) {
        const size_t x = i % 64, y = i / 64;
        buffers.gray[i] = uint8_t((x > 20 && x < 40 && y > 10 && y < 50) ? 255 : (x * 3 + y) & 63);
    }
    const uint8_t *px = buffers.gray.data();
    const std::vector<di_gray_image> grays = {
        {px, 28, 28, 28},                     // valid
        {px, 40, 30, 64},                     // valid, padded rows
        {px, 64, 64, 64},                     // valid
        {px + 7, 1, 1, 1},                    // valid, one pixel
        {px, 28, 28, 10},                     // stride below the width
        {px, 8, 2, SIZE_MAX},                 // stride * (h - 1) + w overflows
        {px, 8, 3, size_t(1) << 63},          // stride * (h - 1) overflows
        {px, 0, 28, 28},                      // zero width
        {px, 28, -1, 28},                     // negative height
        {nullptr, 28, 28, 28},                // NULL pixels
    };
    for (const auto &g : grays)
        cases.push_back({"gray " + std::to_string(g.width) + "x" + std::to_string(g.height) + " stride " +
                             std::to_string(g.stride) + (g.pixels ? "" : " NULL"),
                         1, [=](const di_model *m) { return gray(m, classes, &g); }});
    cases.push_back({"gray image NULL", 1, [=](const di_model *m) { return gray(m, classes, nullptr); }});

    // Batches of mixed good and bad images, with and without statuses, at 1 and 2 threads per call.
    for (size_t start = 0; start + 1 < all.size(); start += 5) {
        std::vector<di_encoded_image> group(all.begin() + long(start), all.begin() + long(std::min(all.size(), start + 7)));
        for (bool with_statuses : {true, false})
            cases.push_back({"encoded batch from " + std::to_string(start) + (with_statuses ? " (statuses)" : ""),
                             group.size(), [=](const di_model *m) {
                                 return batch_ex(classes, group, with_statuses, int(start % 3),
                                                 [m](const di_encoded_image *i, size_t n, const di_predict_options *o,
                                                     const di_results *r) {
                                                     return di_model_predict_encoded_ex(m, i, n, o, r);
                                                 });
                             }});
    }
    for (bool with_statuses : {true, false})
        cases.push_back({std::string("gray batch") + (with_statuses ? " (statuses)" : ""), grays.size(),
                         [=](const di_model *m) {
                             return batch_ex(classes, grays, with_statuses, 2,
                                             [m](const di_gray_image *i, size_t n, const di_predict_options *o,
                                                 const di_results *r) { return di_model_predict_gray_ex(m, i, n, o, r); });
                         }});
    return cases;
}

size_t count_from(const char *text, const char *what) {
    char *end = nullptr;
    const unsigned long long n = std::strtoull(text, &end, 10);
    if (!*text || *end || n == 0) {
        std::fprintf(stderr, "%s must be a positive integer, not '%s'\n", what, text);
        std::exit(2);
    }
    return size_t(n);
}

}  // namespace

int main(int argc, char **argv) {
    std::vector<std::string> positional;
    size_t threads = 8, predictions = 100000;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if ((arg == "--threads" || arg == "--predictions") && i + 1 < argc) {
            (arg == "--threads" ? threads : predictions) = count_from(argv[i + 1], argv[i]);
            ++i;
        } else {
            positional.push_back(arg);
        }
    }
    if (const char *env = std::getenv("DIGITINFER_CONCURRENCY_PREDICTIONS"))
        predictions = count_from(env, "DIGITINFER_CONCURRENCY_PREDICTIONS");
    if (const char *env = std::getenv("DIGITINFER_CONCURRENCY_THREADS_PER_CALL"))
        threads_per_call = int(count_from(env, "DIGITINFER_CONCURRENCY_THREADS_PER_CALL"));
    if (positional.size() < 3) {
        std::fprintf(stderr, "usage: %s MODEL native|libtorch IMAGE_DIR... [--threads N] [--predictions N]\n", argv[0]);
        return 2;
    }
    di_load_options opts = di_load_options_default();
    if (di_engine_from_name(positional[1].c_str(), reinterpret_cast<di_engine *>(&opts.engine)) != DI_OK) {
        std::fprintf(stderr, "unknown engine '%s'\n", positional[1].c_str());
        return 2;
    }
    opts.num_threads = threads_per_call;
    opts.max_pixels = 1u << 22;  // hostile headers stay cheap; every test image is far smaller
    di_model *model = nullptr;
    if (di_model_load_file(positional[0].c_str(), &opts, &model) != DI_OK) {
        std::fprintf(stderr, "cannot load %s: %s\n", positional[0].c_str(), di_last_error_message());
        return 1;
    }
    di_model_info info = di_model_info_default();
    di_model_get_info(model, &info);

    Buffers buffers;
    const std::vector<Case> cases =
        make_cases(std::vector<std::string>(positional.begin() + 2, positional.end()), info.num_classes, buffers);
    std::vector<Outcome> serial;
    size_t ok = 0;
    for (const auto &c : cases) {
        serial.push_back(c.run(model));
        ok += serial.back().status == DI_OK;
    }

    // The threads take calls in turn from one counter, each call a case picked by a
    // multiplicative hash of its number, until `predictions` images were predicted.
    std::atomic<size_t> next_call{0}, predicted{0}, mismatches{0};
    std::mutex report;
    std::vector<std::thread> pool;
    for (size_t t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            for (;;) {
                const size_t call = next_call.fetch_add(1);
                const size_t k = size_t((uint64_t(call) * 2654435761u) % cases.size());
                if (predicted.fetch_add(cases[k].images) >= predictions) return;
                if (cases[k].run(model) == serial[k]) continue;
                if (mismatches.fetch_add(1) < 10) {
                    const std::lock_guard<std::mutex> lock(report);
                    std::fprintf(stderr, "MISMATCH on call %zu, case '%s' (serial status %d)\n", call,
                                 cases[k].name.c_str(), serial[k].status);
                }
            }
        });
    for (auto &th : pool) th.join();
    di_model_free(model);
    if (mismatches.load()) {
        std::fprintf(stderr, "%zu calls differ from the serial run\n", mismatches.load());
        return 1;
    }
    std::printf("concurrency ok: %zu predictions on %zu threads, %zu cases (%zu succeed, %zu refused), all as serial\n",
                std::min(predicted.load(), predictions), threads, cases.size(), ok, cases.size() - ok);
    return 0;
}
