// The header-only C++ wrapper: RAII, move-only handles, one exception type.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <new>
#include <string>
#include <thread>
#include <type_traits>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digitinfer/digitinfer.hpp"
#include "support.hpp"

using digitinfer::Model;

static_assert(!std::is_copy_constructible_v<Model>, "Model is move-only");
static_assert(std::is_nothrow_move_constructible_v<Model>, "Model moves cheaply");

TEST_CASE("C++ Model predicts, moves and releases", "[cpp]") {
    Model model(testing::repo_path(testing::stand_in(testing::kScriptedModel)));
    REQUIRE(model);
    const auto p = model.predict_file(testing::repo_path("examples/images/digit-7.png"));
    CHECK(p.digit == 7);
    CHECK(p.probability() > 0.5f);
    const auto top = p.top_k(3);
    REQUIRE(top.size() == 3);
    CHECK(top[0].index == 7);
    CHECK(top[0].probability >= top[1].probability);
    CHECK(top[1].probability >= top[2].probability);
    CHECK(p.top_k(100).size() == 10);

    Model moved = std::move(model);
    CHECK_FALSE(model);
    CHECK(moved);
    di_model *raw = moved.release();
    CHECK_FALSE(moved);
    Model adopted(raw);
    CHECK(adopted.predict_file(testing::repo_path("examples/images/digit-2.png")).digit == 2);
}

TEST_CASE("C++ Model from memory and info with labels", "[cpp]") {
    const auto bytes = testing::read_bytes(testing::stand_in(testing::kTracedModel));
    const Model model = Model::from_memory(bytes.data(), bytes.size());
    const auto info = model.info();
    CHECK(info.num_classes == 10);
    CHECK(info.labels.size() == 10);
    CHECK(info.labels[3] == "3");
    CHECK(info.has_metadata);
    CHECK(info.name == "digitinfer-convnet");
}

TEST_CASE("C++ errors carry the C status", "[cpp]") {
    try {
        Model bad(testing::repo_path("tests/data/bad/garbage.pt"));
        FAIL("garbage.pt loaded");
    } catch (const digitinfer::Error &e) {
        CHECK(e.code() == DI_ERR_MODEL);
        CHECK(std::string(e.what()).find("DI_ERR_MODEL") == 0);
    }
    const Model model(testing::repo_path(testing::stand_in(testing::kTracedModel)));
    CHECK_THROWS_AS(model.predict_file("/no/such/file.png"), digitinfer::Error);
    try {
        model.predict_encoded(std::vector<uint8_t>{1, 2, 3});
        FAIL("decoded three bytes");
    } catch (const digitinfer::Error &e) {
        CHECK(e.code() == DI_ERR_DECODE);
    }
    const Model empty;
    CHECK_THROWS_AS(empty.info(), digitinfer::Error);  // an empty handle is refused, not dereferenced
}

namespace {
di_status read_file_status(const std::string &path, uint64_t max_bytes = DI_DEFAULT_MAX_ENCODED_BYTES) {
    try {
        digitinfer::read_file(path, max_bytes);
        return DI_OK;
    } catch (const digitinfer::Error &e) {
        return e.code();
    }
}
}  // namespace

TEST_CASE("C++ read_file reads regular files only, up to a limit", "[cpp]") {
    const std::string image = testing::repo_path("examples/images/digit-7.png");
    const uint64_t size = digitinfer::read_file(image).size();
    CHECK(size > 100);
    CHECK(read_file_status(image, size) == DI_OK);
    CHECK(read_file_status(image, size - 1) == DI_ERR_IO);
    CHECK(read_file_status(testing::repo_path("examples/images")) == DI_ERR_IO);  // a directory
    // A FIFO would block the open until a writer comes; /dev/zero never ends: both refused unread.
    const std::string fifo = std::string(DIGITINFER_BINARY_DIR) + "/cpp-read-file.fifo";
    ::unlink(fifo.c_str());
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    std::thread writer([&] {  // so that an implementation that opens it reads EOF instead of hanging
        if (const int fd = ::open(fifo.c_str(), O_WRONLY); fd >= 0) ::close(fd);
    });
    CHECK(read_file_status(fifo) == DI_ERR_IO);
    // A reader of our own, kept open until the writer is done, lets its open return whenever it runs.
    const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
    writer.join();
    if (reader >= 0) ::close(reader);
    ::unlink(fifo.c_str());
    CHECK(read_file_status("/dev/zero") == DI_ERR_IO);
}

TEST_CASE("version() matches the header", "[cpp]") { CHECK(digitinfer::version() == DI_VERSION_STRING); }

// ---------------------------------------------------------------- 1.1: cached description, predict_into,
// per-image results, PredictOptions, names, limits.

namespace {

// Every plain operator new of the process, counted while `g_counting` is set (any thread):
// predict_into promises no allocation per call once warm, in the wrapper and the library.
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};

void *counted_new(std::size_t size) {
    if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void *p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}

long allocations_during(const std::function<void()> &run) {
    g_allocations = 0;
    g_counting = true;
    run();
    g_counting = false;
    return g_allocations.load();
}

// Rows computed in batches of different sizes may differ in their last bits (the kernels block by batch).
bool close(const std::vector<float> &a, const std::vector<float> &b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (!(std::fabs(a[i] - b[i]) <= 1e-6f)) return false;
    return true;
}

// A binary PGM of the given gray pixels: an encoded image whose size the test knows.
std::vector<uint8_t> pgm(const std::vector<uint8_t> &pixels, int width, int height) {
    const std::string header = "P5\n" + std::to_string(width) + " " + std::to_string(height) + "\n255\n";
    std::vector<uint8_t> file(header.begin(), header.end());
    file.insert(file.end(), pixels.begin(), pixels.end());
    return file;
}

std::vector<di_encoded_image> views(const std::vector<std::vector<uint8_t>> &files) {
    std::vector<di_encoded_image> v;
    for (const auto &f : files) v.push_back({f.data(), f.size()});
    return v;
}

}  // namespace

// Replaced together, so that new and delete always pair malloc with free (sanitizers check that).
void *operator new(std::size_t size) { return counted_new(size); }
void *operator new[](std::size_t size) { return counted_new(size); }
void operator delete(void *p) noexcept { std::free(p); }
void operator delete[](void *p) noexcept { std::free(p); }
void operator delete(void *p, std::size_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t) noexcept { std::free(p); }
// The nothrow forms too (Catch2 uses them): else they come from the runtime, whose delete is not free.
void *operator new(std::size_t size, const std::nothrow_t &) noexcept {
    try {
        return counted_new(size);
    } catch (const std::bad_alloc &) {
        return nullptr;
    }
}
void *operator new[](std::size_t size, const std::nothrow_t &n) noexcept { return operator new(size, n); }
void operator delete(void *p, const std::nothrow_t &) noexcept { std::free(p); }
void operator delete[](void *p, const std::nothrow_t &) noexcept { std::free(p); }

// The cached values are those of info(), for `path`'s model, and follow the handle.
static void check_cached_description(const std::string &path) {
    Model model(testing::repo_path(path));
    const auto info = model.info();
    CHECK(model.num_classes() == info.num_classes);
    CHECK(model.input_shape().channels == info.channels);
    CHECK(model.input_shape().height == info.height);
    CHECK(model.input_shape().width == info.width);
    CHECK(model.input_shape().floats() == size_t(info.channels * info.height * info.width));
    // The cached shape sizes what preprocessing returns, the class count the probability rows.
    const auto pre = model.preprocess_file(testing::repo_path("examples/images/digit-7.png"));
    CHECK(pre.width == info.width);
    CHECK(pre.height == info.height);
    CHECK(pre.tensor.size() == model.input_shape().floats());
    CHECK(model.predict_file(testing::repo_path("examples/images/digit-7.png")).probabilities.size() ==
          size_t(info.num_classes));

    Model moved = std::move(model);
    CHECK(model.num_classes() == 0);
    CHECK(model.input_shape().width == 0);
    CHECK(moved.num_classes() == info.num_classes);
    Model adopted(moved.release());
    CHECK(moved.num_classes() == 0);
    CHECK(adopted.num_classes() == info.num_classes);
    CHECK(adopted.input_shape().height == info.height);
}

TEST_CASE("C++ Model caches the class count and input shape at load, and moves them", "[cpp]") {
    check_cached_description(testing::kCompiledModel);
    const Model empty;
    CHECK(empty.num_classes() == 0);
    CHECK_THROWS_AS(empty.predict_file(testing::repo_path("examples/images/digit-7.png")), digitinfer::Error);
}

TEST_CASE("C++ Model caches the shape of a model that is not 28x28", "[cpp][torch]") {
    check_cached_description("tests/data/models/tiny-32x32.traced.pt");
}

TEST_CASE("C++ predict_into fills caller storage exactly as the allocating calls do", "[cpp]") {
    const Model model(testing::repo_path(testing::kCompiledModel));
    const std::vector<std::vector<uint8_t>> files = {testing::read_bytes("examples/images/digit-7.png"),
                                                     testing::read_bytes("examples/images/digit-2.png")};
    const auto want = model.predict_encoded_batch(files);
    const size_t classes = size_t(model.num_classes());
    const auto images = views(files);

    std::vector<di_prediction> predictions(2);
    std::vector<float> probs(2 * classes), logs(2 * classes);
    digitinfer::ResultSpans out;
    out.predictions = predictions;
    out.probabilities = probs;
    out.log_probabilities = logs;
    model.predict_into(images, out);
    for (size_t i = 0; i < 2; ++i) {
        CHECK(predictions[i].class_index == want[i].digit);
        CHECK(predictions[i].probability == want[i].probability());
        CHECK(std::vector<float>(probs.begin() + std::ptrdiff_t(i * classes),
                                 probs.begin() + std::ptrdiff_t((i + 1) * classes)) == want[i].probabilities);
        CHECK(std::vector<float>(logs.begin() + std::ptrdiff_t(i * classes),
                                 logs.begin() + std::ptrdiff_t((i + 1) * classes)) == want[i].log_probabilities);
    }

    // One image, scores optional.
    const auto alone = model.predict_encoded(files[1]);
    di_prediction one{-1, 0};
    std::vector<float> row(classes);
    model.predict_into(files[1].data(), files[1].size(), one, row);
    CHECK(one.class_index == alone.digit);
    CHECK(one.probability == alone.probability());
    CHECK(row == alone.probabilities);
    di_prediction bare{-1, 0};
    model.predict_into(files[0].data(), files[0].size(), bare);
    CHECK(bare.class_index == want[0].digit);

    // Raw grayscale and tensors go the same way.
    const auto pre = model.preprocess_encoded(files[0].data(), files[0].size());
    const std::vector<di_gray_image> gray = {{pre.image.data(), pre.width, pre.height, size_t(pre.width)}};
    di_prediction g{-1, 0};
    digitinfer::ResultSpans gout;
    gout.predictions = digitinfer::Span<di_prediction>(&g, 1);
    gout.probabilities = row;
    model.predict_into(gray, gout);
    const auto gray_alone = model.predict_gray(pre.image.data(), pre.width, pre.height);
    CHECK(g.class_index == gray_alone.digit);
    CHECK(row == gray_alone.probabilities);
    di_prediction t{-1, 0};
    digitinfer::ResultSpans tout;
    tout.predictions = digitinfer::Span<di_prediction>(&t, 1);
    tout.log_probabilities = row;
    model.predict_tensor_into(pre.tensor, 1, tout);
    const auto tensor_alone = model.predict_tensor(pre.tensor)[0];
    CHECK(t.class_index == tensor_alone.digit);
    CHECK(row == tensor_alone.log_probabilities);

    // With statuses, a bad image fills its own entries and the call does not throw.
    const std::vector<std::vector<uint8_t>> mixed = {files[0], testing::read_bytes("tests/data/bad/corrupt.png")};
    const auto mixed_images = views(mixed);
    std::vector<di_status> statuses(2, DI_ERR_INTERNAL);
    std::vector<const char *> messages(2, nullptr);
    digitinfer::ResultSpans with_statuses;
    with_statuses.predictions = predictions;
    with_statuses.statuses = statuses;
    with_statuses.messages = messages;
    model.predict_into(mixed_images, with_statuses);
    CHECK(statuses[0] == DI_OK);
    CHECK(predictions[0].class_index == want[0].digit);
    CHECK(statuses[1] == DI_ERR_DECODE);
    REQUIRE(messages[1] != nullptr);
    CHECK(std::string(messages[1]).size() > 0);
    CHECK(predictions[1].class_index == -1);
    // Without them, the same call throws for the bad image.
    digitinfer::ResultSpans without_statuses;
    without_statuses.predictions = predictions;
    CHECK_THROWS_AS(model.predict_into(mixed_images, without_statuses), digitinfer::Error);

    // Spans that are too short are refused before the library could write past them.
    std::vector<di_prediction> short_predictions(1);
    digitinfer::ResultSpans too_few;
    too_few.predictions = short_predictions;
    try {
        model.predict_into(images, too_few);
        FAIL("a 1-entry span took 2 predictions");
    } catch (const digitinfer::Error &e) {
        CHECK(e.code() == DI_ERR_BUFFER_TOO_SMALL);
    }
    std::vector<float> short_scores(2 * classes - 1);
    digitinfer::ResultSpans short_rows;
    short_rows.probabilities = short_scores;
    try {
        model.predict_into(images, short_rows);
        FAIL("a short score span was accepted");
    } catch (const digitinfer::Error &e) {
        CHECK(e.code() == DI_ERR_BUFFER_TOO_SMALL);
    }
}

TEST_CASE("C++ predict_into allocates nothing once warm", "[cpp]") {
    const Model model(testing::repo_path(testing::kCompiledModel));
    const std::vector<std::vector<uint8_t>> files = {testing::read_bytes("examples/images/digit-7.png"),
                                                     testing::read_bytes("examples/images/digit-2.png")};
    const auto images = views(files);
    const size_t classes = size_t(model.num_classes());
    std::vector<di_prediction> predictions(2);
    std::vector<float> probs(2 * classes);
    std::vector<di_status> statuses(2);
    std::vector<const char *> messages(2);
    digitinfer::ResultSpans out;
    out.predictions = predictions;
    out.probabilities = probs;
    out.statuses = statuses;
    out.messages = messages;
    digitinfer::PredictOptions one_thread;
    one_thread.num_threads = 1;
    const auto pre = model.preprocess_encoded(files[0].data(), files[0].size());

    // Tensors skip decoding: the whole call, wrapper and library, allocates nothing once the
    // library holds this thread's buffers.
    digitinfer::ResultSpans tensor_out;
    tensor_out.predictions = digitinfer::Span<di_prediction>(predictions.data(), 1);
    tensor_out.probabilities = probs;
    model.predict_tensor_into(pre.tensor, 1, tensor_out, one_thread);
    CHECK(allocations_during([&] { model.predict_tensor_into(pre.tensor, 1, tensor_out, one_thread); }) == 0);

    // Encoded images: the wrapper adds no allocation to what the C call itself does.
    const di_predict_options c_options = [] {
        di_predict_options o = di_predict_options_default();
        o.num_threads = 1;
        return o;
    }();
    di_results c_results = di_results_default();
    c_results.predictions = predictions.data();
    c_results.probabilities = probs.data();
    c_results.scores_capacity = probs.size();
    c_results.statuses = statuses.data();
    c_results.messages = messages.data();
    model.predict_into(images, out, one_thread);  // warm
    const long by_c = allocations_during(
        [&] { REQUIRE(di_model_predict_encoded_ex(model.get(), images.data(), 2, &c_options, &c_results) == DI_OK); });
    CHECK(allocations_during([&] { model.predict_into(images, out, one_thread); }) == by_c);
    CHECK(predictions[0].class_index == model.predict_encoded(files[0]).digit);
    CHECK(predictions[1].class_index == model.predict_encoded(files[1]).digit);

    // The counter works: the allocating call is seen.
    CHECK(allocations_during([&] { (void)model.predict_encoded_batch(files); }) > by_c);
}

TEST_CASE("C++ per-image batch results: a bad image fails alone, with its status and message", "[cpp]") {
    const Model model(testing::repo_path(testing::kCompiledModel));
    const std::vector<std::vector<uint8_t>> files = {
        testing::read_bytes("examples/images/digit-7.png"), testing::read_bytes("tests/data/bad/corrupt.png"),
        testing::read_bytes("examples/images/digit-2.png"), std::vector<uint8_t>{1, 2, 3}};
    const auto results = model.predict_encoded_each(files);
    REQUIRE(results.size() == 4);
    for (size_t good : {size_t(0), size_t(2)}) {
        INFO("image " << good);
        CHECK(results[good].ok());
        CHECK(results[good].message.empty());
        const auto alone = model.predict_encoded(files[good]);
        CHECK(results[good].prediction.digit == alone.digit);
        CHECK(close(results[good].prediction.probabilities, alone.probabilities));
    }
    for (size_t bad : {size_t(1), size_t(3)}) {
        INFO("image " << bad);
        CHECK(results[bad].status == DI_ERR_DECODE);
        CHECK_FALSE(results[bad].message.empty());
        CHECK(results[bad].prediction.digit == -1);
        CHECK(results[bad].prediction.probabilities.empty());
        CHECK(results[bad].error().code() == DI_ERR_DECODE);
        // The message is what the throwing call says about that image alone.
        try {
            model.predict_encoded(files[bad]);
            FAIL("a bad image predicted");
        } catch (const digitinfer::Error &e) {
            CHECK(std::string(e.what()).find(results[bad].message) != std::string::npos);
        }
    }
    // The throwing batch call still fails as a whole.
    CHECK_THROWS_AS(model.predict_encoded_batch(files), digitinfer::Error);

    // Gray: a zero-width image among good ones.
    const auto pre = model.preprocess_encoded(files[0].data(), files[0].size());
    const std::vector<di_gray_image> gray = {{pre.image.data(), pre.width, pre.height, size_t(pre.width)},
                                             {pre.image.data(), 0, pre.height, size_t(pre.width)}};
    const auto g = model.predict_gray_each(gray);
    REQUIRE(g.size() == 2);
    CHECK(g[0].ok());
    CHECK(g[0].prediction.digit == results[0].prediction.digit);
    CHECK(g[1].status == DI_ERR_INVALID_ARGUMENT);

    // Tensors: one holding a NaN fails alone.
    std::vector<float> tensors = pre.tensor;
    tensors.insert(tensors.end(), pre.tensor.begin(), pre.tensor.end());
    tensors[pre.tensor.size() + 5] = std::numeric_limits<float>::quiet_NaN();
    const auto t = model.predict_tensor_each(tensors, 2);
    REQUIRE(t.size() == 2);
    CHECK(t[0].ok());
    CHECK(close(t[0].prediction.probabilities, g[0].prediction.probabilities));
    CHECK_FALSE(t[1].ok());
    CHECK(t[1].prediction.digit == -1);
}

TEST_CASE("C++ PredictOptions: the thread count of one call changes nothing in the results", "[cpp]") {
    const Model model(testing::repo_path(testing::kCompiledModel));
    std::vector<std::vector<uint8_t>> files;
    for (const char *name : {"examples/images/digit-7.png", "examples/images/digit-2.png"})
        for (int copy = 0; copy < 8; ++copy) files.push_back(testing::read_bytes(name));
    const auto want = model.predict_encoded_batch(files);
    for (int threads : {1, 2, 0}) {
        INFO("num_threads " << threads);
        digitinfer::PredictOptions options;
        options.num_threads = threads;
        const auto got = model.predict_encoded_batch(files, options);
        REQUIRE(got.size() == want.size());
        for (size_t i = 0; i < got.size(); ++i) CHECK(got[i].probabilities == want[i].probabilities);
        const auto each = model.predict_encoded_each(files, options);
        for (size_t i = 0; i < each.size(); ++i) CHECK(each[i].prediction.probabilities == want[i].probabilities);
    }
    digitinfer::PredictOptions negative;
    negative.num_threads = -1;
    try {
        model.predict_encoded_batch(files, negative);
        FAIL("num_threads -1 accepted");
    } catch (const digitinfer::Error &e) {
        CHECK(e.code() == DI_ERR_INVALID_ARGUMENT);
    }
}

TEST_CASE("C++ LoadOptions limits and threads come back in ModelInfo and are enforced", "[cpp]") {
    const Model unlimited(testing::repo_path(testing::kCompiledModel));
    // An encoded image of a size the test knows: the preprocessed digit, as a PGM.
    const auto pre = unlimited.preprocess_file(testing::repo_path("examples/images/digit-7.png"));
    const auto file = pgm(pre.image, pre.width, pre.height);
    const uint64_t pixels = uint64_t(pre.width) * uint64_t(pre.height);
    const int digit = unlimited.predict_encoded(file).digit;

    digitinfer::LoadOptions options;
    options.num_threads = 3;
    options.max_pixels = pixels - 1;
    options.max_encoded_bytes = file.size();
    const Model limited(testing::repo_path(testing::kCompiledModel), options);
    const auto info = limited.info();
    CHECK(info.num_threads == 3);
    CHECK(info.max_pixels == pixels - 1);
    CHECK(info.max_encoded_bytes == file.size());
    try {
        limited.predict_encoded(file);
        FAIL("an image above max_pixels predicted");
    } catch (const digitinfer::Error &e) {
        CHECK(e.code() == DI_ERR_DECODE);
    }
    // Raw gray images are held to the same pixel limit.
    try {
        limited.predict_gray(pre.image.data(), pre.width, pre.height);
        FAIL("a gray image above max_pixels predicted");
    } catch (const digitinfer::Error &e) {
        CHECK(e.code() == DI_ERR_INVALID_ARGUMENT);
    }
    options.max_pixels = pixels;  // at the limit: accepted
    CHECK(Model(testing::repo_path(testing::kCompiledModel), options).predict_encoded(file).digit == digit);

    options.max_encoded_bytes = file.size() - 1;
    try {
        Model(testing::repo_path(testing::kCompiledModel), options).predict_encoded(file);
        FAIL("a file above max_encoded_bytes predicted");
    } catch (const digitinfer::Error &e) {
        CHECK(e.code() == DI_ERR_DECODE);
    }

    const digitinfer::LoadOptions defaults;
    CHECK(unlimited.info().max_pixels == defaults.max_pixels);
    CHECK(unlimited.info().max_encoded_bytes == defaults.max_encoded_bytes);
    CHECK(unlimited.info().num_threads >= 1);
}

TEST_CASE("C++ engine and output kind names round-trip through the C API", "[cpp]") {
    for (di_engine e : {DI_ENGINE_AUTO, DI_ENGINE_NATIVE, DI_ENGINE_LIBTORCH, DI_ENGINE_LIBTORCH_REFERENCE}) {
        CHECK(digitinfer::engine_name(e) == di_engine_name(e));
        CHECK(digitinfer::engine_name(e) != "unknown");
        CHECK(digitinfer::engine_from_name(digitinfer::engine_name(e)) == e);
    }
    for (di_output_kind k : {DI_OUTPUT_AUTO, DI_OUTPUT_LOG_PROBABILITIES, DI_OUTPUT_LOGITS, DI_OUTPUT_PROBABILITIES}) {
        CHECK(digitinfer::output_kind_name(k) != "unknown");
        CHECK(digitinfer::output_kind_from_name(digitinfer::output_kind_name(k)) == k);
    }
    CHECK(digitinfer::engine_name(static_cast<di_engine>(99)) == "unknown");
    CHECK(digitinfer::output_kind_from_name("softmax") == DI_OUTPUT_PROBABILITIES);
    CHECK(digitinfer::output_kind_from_name("log_softmax") == DI_OUTPUT_LOG_PROBABILITIES);
    try {
        digitinfer::engine_from_name("bogus");
        FAIL("engine 'bogus' accepted");
    } catch (const digitinfer::Error &e) {
        CHECK(e.code() == DI_ERR_INVALID_ARGUMENT);
    }
    CHECK_THROWS_AS(digitinfer::output_kind_from_name("unknown"), digitinfer::Error);
    // A model reports its engine under the same name.
    CHECK(digitinfer::engine_name(Model(testing::repo_path(testing::kCompiledModel)).info().engine) == "native");
}
