// Replays fuzzer inputs without libFuzzer: calls LLVMFuzzerTestOneInput once on
// each file named on the command line, and on each file in each directory named
// (not recursively, in name order). Built with any compiler, sanitizers or not
// (tests/fuzz/replay.cmake); CI runs it over the seed corpora and
// tests/fuzz/regressions/ so that every input that once broke us is tried again.
// Exit status: 0 when every input was run, 1 when a file could not be read or
// no input was found; a bug shows as a crash or std::terminate in the target.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size);

namespace fs = std::filesystem;

int main(int argc, char **argv) {
    std::vector<fs::path> files;
    for (int i = 1; i < argc; ++i) {
        const fs::path arg(argv[i]);
        std::error_code ec;
        if (fs::is_directory(arg, ec)) {
            std::vector<fs::path> here;
            for (const auto &entry : fs::directory_iterator(arg))
                if (entry.is_regular_file()) here.push_back(entry.path());
            std::sort(here.begin(), here.end());
            files.insert(files.end(), here.begin(), here.end());
        } else {
            files.push_back(arg);
        }
    }
    if (files.empty()) {
        std::fprintf(stderr, "usage: %s FILE_OR_DIR...  (no input found)\n", argv[0]);
        return 1;
    }
    for (const fs::path &file : files) {
        std::ifstream in(file, std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "cannot read %s\n", file.c_str());
            return 1;
        }
        const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::fprintf(stderr, "replay %s (%zu bytes)\n", file.c_str(), bytes.size());
        // A copy of exactly the file's size, so a sanitizer sees any over-read.
        std::vector<uint8_t> data(bytes.begin(), bytes.end());
        LLVMFuzzerTestOneInput(data.empty() ? nullptr : data.data(), data.size());
    }
    std::printf("replayed %zu inputs\n", files.size());
    return 0;
}
