// PNG decode budgets: files whose cost must be bounded by the image they describe
// (tools/make_png_cases.py --bombs writes them; bench/decode_budgets/measure.py png times them).
//
// Each file is preprocessed in a child process whose address space may grow by a budget only
// (setrlimit RLIMIT_AS, above what the process maps already) and whose CPU time is capped: a
// decoder that inflates what follows the image, or holds more than the image, runs out of memory
// there and the case fails. The test asserts statuses and pixels; the figures are in the benchmark.
//
// Hidden ("[.]"; CTest discovery leaves out [rlimit]): tests/CMakeLists.txt runs these as one
// CTest of their own, skipped (exit 77) in sanitizer builds, where shadow memory takes terabytes
// of address space and RLIMIT_AS cannot work.
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "digitinfer/digitinfer.hpp"
#include "shared_model.hpp"
#include "support.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define DI_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define DI_TEST_SANITIZED 1
#endif
#endif

namespace {

constexpr std::size_t kMiB = std::size_t(1) << 20;

void skip_if_sanitized() {
#if defined(DI_TEST_SANITIZED)
    std::printf("skip: a sanitizer reserves terabytes of address space, so RLIMIT_AS cannot bound the decode\n");
    std::exit(77);  // CTest SKIP_RETURN_CODE
#endif
}

// The bombs are large (1-2 MB each, inflating to gigabytes): made once per machine, not committed.
std::string bomb(const std::string &name) {
    const auto dir = std::filesystem::temp_directory_path() / "digitinfer-png-bombs";
    const auto path = dir / name;
    if (!std::filesystem::exists(path)) {
        const std::string command = "/usr/bin/python3 " + testing::repo_path("tools/make_png_cases.py") +
                                    " --bombs " + dir.string() + " --only " + name + " > /dev/null";
        REQUIRE(std::system(command.c_str()) == 0);
    }
    return path.string();
}

std::size_t mapped_bytes() {  // VmSize of this process
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmSize:", 0) == 0) return std::size_t(std::stoull(line.substr(7))) * 1024;
    return 0;
}

// Runs `check` in a child limited to `budget` more bytes of address space and `cpu_seconds` of
// CPU. Returns "" when it passed, else what went wrong.
std::string in_child_within(std::size_t budget, int cpu_seconds, const std::function<std::string()> &check) {
    int pipe_fds[2];
    REQUIRE(pipe(pipe_fds) == 0);
    std::fflush(nullptr);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(pipe_fds[0]);
        const rlim_t as = rlim_t(mapped_bytes() + budget), cpu = rlim_t(cpu_seconds);
        const rlimit as_limit{as, as}, cpu_limit{cpu, cpu + 5};  // SIGXCPU at the soft limit
        std::string outcome = setrlimit(RLIMIT_AS, &as_limit) || setrlimit(RLIMIT_CPU, &cpu_limit)
                                  ? "setrlimit failed"
                                  : "";
        if (outcome.empty()) {
            try {
                outcome = check();
            } catch (const std::exception &e) {
                outcome = std::string("threw: ") + e.what();
            }
        }
        const ssize_t written = write(pipe_fds[1], outcome.data(), outcome.size());
        _exit(written == ssize_t(outcome.size()) && outcome.empty() ? 0 : 1);  // no atexit, no Catch teardown
    }
    close(pipe_fds[1]);
    std::string said;
    char buffer[512];
    for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;) said.append(buffer, std::size_t(n));
    close(pipe_fds[0]);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    if (WIFSIGNALED(status))
        return "killed by signal " + std::to_string(WTERMSIG(status)) +
               (WTERMSIG(status) == SIGXCPU ? " (over " + std::to_string(cpu_seconds) + " s of CPU)" : "");
    if (WEXITSTATUS(status) != 0 && said.empty()) return "exited with " + std::to_string(WEXITSTATUS(status));
    return said;
}

const digitinfer::Model &model() { return testing::shared_model(testing::kDefaultModel); }

std::vector<uint8_t> file_bytes(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// What preprocessing gave: its status and, when DI_OK, the 28x28 image.
using Judge = std::function<std::string(di_status, const std::vector<uint8_t> &)>;

// Preprocesses `path` within the budget; `judge` says what is wrong with the result ("" = nothing).
void check_within(const std::string &path, std::size_t budget, int cpu_seconds, const Judge &judge) {
    INFO(path << " within " << budget / kMiB << " MiB of address space and " << cpu_seconds << " s of CPU");
    const auto bytes = file_bytes(path);  // read here: the child's budget is for decoding
    const auto &m = model();
    const std::string outcome = in_child_within(budget, cpu_seconds, [&] {
        try {
            return judge(DI_OK, m.preprocess_encoded(bytes.data(), bytes.size()).image);
        } catch (const digitinfer::Error &e) {
            const std::string said = judge(e.code(), {});
            return said.empty() ? said : said + " (" + e.what() + ")";
        }
    });
    CHECK(outcome == "");
}

}  // namespace

TEST_CASE("PNG bombs decode to their image without inflating what follows it", "[.][decode_budgets][png][rlimit]") {
    skip_if_sanitized();
    // A 28x28 image then 1 or 2 GiB of zeros in the same zlib stream: Pillow stops at the image.
    // The same 28x28 as the corpus file whose stream ends right after the image.
    const auto small = testing::read_bytes("tests/data/pillow-corpus/png/zlib-data-after-image.png");
    const auto expected = model().preprocess_encoded(small.data(), small.size()).image;
    for (const char *name : {"idat-zeros-1gib.png", "idat-zeros-2gib.png"})
        check_within(bomb(name), 256 * kMiB, 30, [&](di_status status, const std::vector<uint8_t> &image) {
            return status != DI_OK ? "refused" : image == expected ? "" : "not the image of zlib-data-after-image.png";
        });
}

TEST_CASE("PNG images at the pixel limit decode in memory near their size", "[.][decode_budgets][png][rlimit]") {
    skip_if_sanitized();
    // 13376 x 13376 16-bit RGBA (715 MB as 8-bit RGBA) and 1 x 178,956,970 1-bit gray, all black:
    // accepted, as by Pillow. Budgets: about twice the 8-bit image.
    auto all_black = [](di_status status, const std::vector<uint8_t> &image) -> std::string {
        if (status != DI_OK) return "refused";
        const bool black = std::all_of(image.begin(), image.end(), [](uint8_t v) { return v == 0; });
        return image.size() == 28 * 28 && black ? "" : "not a black 28x28";
    };
    check_within(bomb("rgba16-13376.png"), 1536 * kMiB, 60, all_black);
    check_within(bomb("tall-1bit-178956970.png"), 512 * kMiB, 60, all_black);
}

TEST_CASE("A PNG whose zlib stream asks for a preset dictionary is refused at once", "[.][decode_budgets][png][rlimit]") {
    skip_if_sanitized();
    // Found by fuzz_png_differential: zlib answers Z_NEED_DICT on every call without reading
    // anything, and the decoder used to call it again for ever. Pillow: "image file is truncated".
    check_within(testing::repo_path("tests/fuzz/regressions/decode/png-zlib-preset-dictionary-hang.png"), 64 * kMiB,
                 10, [](di_status status, const std::vector<uint8_t> &) -> std::string {
                     return status == DI_ERR_DECODE ? "" : status == DI_OK ? "accepted" : "refused with another status";
                 });
}
