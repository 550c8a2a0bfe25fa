// The C API's contract to the letter (digitinfer.h): what it promises for absurd strides, NULL
// image data, model paths that are no regular files, calls on freed models, and model files
// whose numbers make no sense (non-finite metadata or weights, over the engine's budgets).
// Every case here was a crash, a hang, an out-of-bounds read or a DI_OK before.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "digitinfer/digitinfer.h"
#include "support.hpp"

using testing::repo_path;

namespace {

struct Model {
    di_model *m = nullptr;
    explicit Model(const std::string &relative) {
        REQUIRE(di_model_load_file(repo_path(relative).c_str(), nullptr, &m) == DI_OK);
    }
    ~Model() { di_model_free(m); }
};

void check_status(di_status got, di_status expected, const std::string &mentions) {
    CHECK(di_status_string(got) == std::string(di_status_string(expected)));
    const std::string message = di_last_error_message();
    INFO("message: " << message);
    CHECK(message.find(mentions) != std::string::npos);
}

di_status load_path(const std::string &path) {
    di_model *model = nullptr;
    const di_status s = di_model_load_file(path.c_str(), nullptr, &model);
    di_model_free(model);
    return s;
}

// A fresh directory under /tmp, removed with what it holds.
struct TempDir {
    std::string path;
    TempDir() {
        char name[] = "/tmp/digitinfer-contract-XXXXXX";
        REQUIRE(mkdtemp(name) != nullptr);
        path = name;
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("a gray image whose rows span more memory than there is is refused at every entry point") {
    // stride * (height - 1) + width overflows: the rows would wrap around the address space. The
    // strides here wrap to just before the pixels, into `memory`, so that a library without the
    // check reads no byte outside it and answers DI_OK where the contract says DI_ERR_INVALID_ARGUMENT.
    const Model model(testing::kCompiledModel);
    std::vector<uint8_t> memory(256, 100);
    const uint8_t *pixels = memory.data() + 128;
    di_prediction prediction{};
    di_outputs out = di_outputs_default();
    out.predictions = &prediction;
    const di_gray_image absurd[] = {
        {pixels, 8, 2, SIZE_MAX},       // row 1 at pixels - 1
        {pixels, 8, 3, SIZE_MAX - 15},  // rows at pixels - 16 and pixels - 32
    };
    for (const di_gray_image &image : absurd) {
        INFO("stride " << image.stride << ", height " << image.height);
        check_status(di_model_predict_gray(model.m, &image, &out), DI_ERR_INVALID_ARGUMENT, "stride");
        const di_gray_image batch[2] = {{pixels, 8, 1, 8}, image};
        check_status(di_model_predict_gray_batch(model.m, batch, 2, &out), DI_ERR_INVALID_ARGUMENT, "stride");
        di_prediction predictions[2];
        di_status statuses[2];
        di_results results = di_results_default();
        results.predictions = predictions;
        results.statuses = statuses;
        REQUIRE(di_model_predict_gray_ex(model.m, batch, 2, nullptr, &results) == DI_OK);
        CHECK(statuses[0] == DI_OK);
        CHECK(statuses[1] == DI_ERR_INVALID_ARGUMENT);
    }
    // One row never steps by the stride; a plain stride is fine.
    const di_gray_image one_row{pixels, 8, 1, SIZE_MAX}, padded_rows{memory.data(), 8, 4, 64};
    CHECK(di_model_predict_gray(model.m, &one_row, &out) == DI_OK);
    CHECK(di_model_predict_gray(model.m, &padded_rows, &out) == DI_OK);
}

TEST_CASE("NULL encoded image data is DI_ERR_INVALID_ARGUMENT whatever its size") {
    const Model model(testing::kCompiledModel);
    di_prediction prediction{};
    di_outputs out = di_outputs_default();
    out.predictions = &prediction;
    check_status(di_model_predict_encoded(model.m, nullptr, 0, &out), DI_ERR_INVALID_ARGUMENT, "NULL");
    const di_encoded_image image{nullptr, 0};
    check_status(di_model_predict_encoded_batch(model.m, &image, 1, &out), DI_ERR_INVALID_ARGUMENT, "NULL");
    di_status status = DI_OK;
    di_results results = di_results_default();
    results.statuses = &status;
    REQUIRE(di_model_predict_encoded_ex(model.m, &image, 1, nullptr, &results) == DI_OK);
    CHECK(status == DI_ERR_INVALID_ARGUMENT);
    check_status(di_model_preprocess_encoded(model.m, nullptr, 0, nullptr, 0, nullptr, 0), DI_ERR_INVALID_ARGUMENT,
                 "NULL");
    // Bytes that are there but empty are still a decode failure.
    check_status(di_model_predict_encoded(model.m, "", 0, &out), DI_ERR_DECODE, "no bytes");
}

TEST_CASE("a FIFO is refused as a model file without waiting for a writer or reading it") {
    // Before, the load waited for a writer and then read whatever it wrote to the end. The
    // writer here writes a few bytes, so that a library that reads FIFOs answers DI_ERR_MODEL
    // (not a model file) instead of hanging; the contract says DI_ERR_IO.
    TempDir dir;
    const std::string fifo = dir.path + "/model.pt";
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    std::thread writer([&] {
        sigset_t pipe;  // the load may close its end first: EPIPE, not a SIGPIPE that kills the test
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
        const int fd = open(fifo.c_str(), O_WRONLY);  // waits for a reader: the load, or the one below
        if (fd >= 0) {
            const ssize_t written = write(fd, "not a model", 11);
            (void)written;
            close(fd);
        }
    });
    check_status(load_path(fifo), DI_ERR_IO, "not a regular file");
    const int reader = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);  // lets a still-waiting writer go
    writer.join();
    if (reader >= 0) close(reader);
}

TEST_CASE("a device is refused as a model file without reading it") {
    check_status(load_path("/dev/zero"), DI_ERR_IO, "not a regular file");
    check_status(load_path("/dev/null"), DI_ERR_IO, "not a regular file");
}

TEST_CASE("a model file over 1 GiB is refused without reading it") {
    TempDir dir;
    const std::string big = dir.path + "/big.dimodel";
    const int fd = open(big.c_str(), O_WRONLY | O_CREAT, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(ftruncate(fd, (off_t(1) << 30) + 1) == 0);  // sparse: no disk space
    close(fd);
    check_status(load_path(big), DI_ERR_IO, "over the limit of 1073741824");
}

TEST_CASE("a handle that is not a live di_model is refused and freeing it is a no-op") {
    // Memory of the right size that never held a model: it cannot carry the live mark.
    alignas(64) unsigned char zeros[256] = {};
    const di_model *fake = reinterpret_cast<const di_model *>(zeros);
    di_model_info info = di_model_info_default();
    check_status(di_model_get_info(fake, &info), DI_ERR_INVALID_ARGUMENT, "not a live di_model");
    di_prediction prediction{};
    di_outputs out = di_outputs_default();
    out.predictions = &prediction;
    const float tensor[784] = {};
    check_status(di_model_predict_tensor(fake, tensor, 784, 1, &out), DI_ERR_INVALID_ARGUMENT, "not a live di_model");
    di_model_free(reinterpret_cast<di_model *>(zeros));
}

#if defined(__SANITIZE_ADDRESS__)
#define DI_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DI_TEST_UNDER_ASAN 1
#endif
#endif

TEST_CASE("calls on a freed model and a second free are caught (while its memory is not reused)",
          "[use_after_free]") {
#ifdef DI_TEST_UNDER_ASAN
    WARN("skipped under AddressSanitizer: reading the freed handle is what it reports");
#else
    di_model *model = nullptr;
    REQUIRE(di_model_load_file(repo_path(testing::kCompiledModel).c_str(), nullptr, &model) == DI_OK);
    di_model_free(model);
    di_model_info info = di_model_info_default();
    check_status(di_model_get_info(model, &info), DI_ERR_INVALID_ARGUMENT, "not a live di_model");
    const char *label = nullptr;
    check_status(di_model_get_label(model, 0, &label), DI_ERR_INVALID_ARGUMENT, "not a live di_model");
    di_model_free(model);  // a double free: before, glibc aborted here
#endif
}

TEST_CASE("model files with absurd numbers are refused with DI_ERR_MODEL naming them") {
    // tests/fuzz/make_model_seeds.py writes them (HOSTILE); before, each loaded with DI_OK and then
    // predicted NaN, or made the first forward allocate gigabytes or run for hours.
    const struct {
        const char *file, *mentions;
    } cases[] = {
        {"metadata-mean-1e300.dimodel", "mean must be a number in [-1e6, 1e6]"},
        {"metadata-std-1e-45.dimodel", "std must be a number whose magnitude is in [1e-6, 1e6]"},
        {"metadata-mean-std-1e300.dimodel", "mean must be"},
        {"weights-nan-conv.dimodel", "node 0 (Conv2d): weight value 5 is NaN"},
        {"weights-inf-linear-bias.dimodel", "node 3 (Linear): bias value 1 is infinite"},
        {"scratch-3gib-padded-channels.dimodel", "with its channels padded to 16"},
        {"scratch-320mib-dag.dimodel", "floats of scratch per thread, over the engine's limit"},
        {"ops-9.9e12-huge-pool.dimodel", "operations per image, over the engine's limit of 1e+10"},
    };
    for (const auto &c : cases) {
        INFO(c.file);
        check_status(load_path(repo_path(std::string("tests/fuzz/regressions/native_model/") + c.file)),
                     DI_ERR_MODEL, c.mentions);
        // A well-formed file over a budget is refused, not called corrupt.
        if (std::string(c.file).rfind("metadata-", 0) != 0 && std::string(c.file).rfind("weights-", 0) != 0)
            CHECK(std::string(di_last_error_message()).find("corrupt") == std::string::npos);
    }
}

TEST_CASE("a struct_size smaller than the struct's first version is refused, not half-filled") {
    // Found by fuzz_c_api: di_model_get_info with struct_size 12 returned DI_OK and wrote 12 bytes,
    // leaving name and engine_note NULL, which the header promises never happens.
    const Model model("models/convnet.dimodel");
    di_model_info info = di_model_info_default();
    info.struct_size = 12;
    check_status(di_model_get_info(model.m, &info), DI_ERR_INVALID_ARGUMENT, "di_model_info.struct_size is 12");
    di_load_options options = di_load_options_default();
    options.struct_size = 8;
    di_model *m = nullptr;
    check_status(di_model_load_file(repo_path("models/convnet.dimodel").c_str(), &options, &m),
                 DI_ERR_INVALID_ARGUMENT, "di_load_options.struct_size is 8");
    CHECK(m == nullptr);
    // The first 1.0.0 layouts (7e9631b: no engine fields yet) and the later 1.0 ones (every field
    // up to the first one added in 1.1) are still accepted; the fields past the caller's size stay
    // untouched.
    for (const std::size_t size : {offsetof(di_model_info, engine), offsetof(di_model_info, num_threads)}) {
        INFO("di_model_info.struct_size " << size);
        info = di_model_info_default();
        info.struct_size = uint32_t(size);
        info.engine_note = nullptr;
        REQUIRE(di_model_get_info(model.m, &info) == DI_OK);
        CHECK(info.name != nullptr);
        CHECK((info.engine_note != nullptr) == (size > offsetof(di_model_info, engine_note)));
    }
    for (const std::size_t size : {offsetof(di_load_options, engine), offsetof(di_load_options, max_pixels)}) {
        INFO("di_load_options.struct_size " << size);
        options = di_load_options_default();
        options.struct_size = uint32_t(size);
        m = nullptr;
        REQUIRE(di_model_load_file(repo_path("models/convnet.dimodel").c_str(), &options, &m) == DI_OK);
        di_model_free(m);
    }
}
