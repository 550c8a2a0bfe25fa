// count_jpeg_scans (src/image/jpeg_scans.cpp), the marker walk that refuses a
// JPEG with too many scans before decoding, against libjpeg's own count: the
// highest input_scan_number its progress monitor sees while decoding the file.
#include <catch2/catch.hpp>

#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include <jpeglib.h>

#include "image/formats.hpp"
#include "../support.hpp"

namespace {

struct Counter {
    jpeg_error_mgr err;
    std::jmp_buf jump;
    jpeg_progress_mgr progress;
    int scans = 0;
};

void on_error(j_common_ptr cinfo) { std::longjmp(reinterpret_cast<Counter *>(cinfo->client_data)->jump, 1); }
void on_message(j_common_ptr, int) {}
void on_progress(j_common_ptr cinfo) {
    auto *counter = static_cast<Counter *>(cinfo->client_data);
    const int n = reinterpret_cast<j_decompress_ptr>(cinfo)->input_scan_number;
    if (n > counter->scans) counter->scans = n;
}

// The scans libjpeg reads while decoding the whole file; -1 if it refuses the file.
int libjpeg_scans(const std::vector<uint8_t> &bytes) {
    Counter c;
    jpeg_decompress_struct cinfo{};
    std::vector<JSAMPLE> row;  // before setjmp: a longjmp must not skip a destructor
    cinfo.client_data = &c;
    cinfo.err = jpeg_std_error(&c.err);
    c.err.error_exit = on_error;
    c.err.emit_message = on_message;
    if (setjmp(c.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    c.progress.progress_monitor = on_progress;
    cinfo.progress = &c.progress;
    jpeg_mem_src(&cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
    jpeg_read_header(&cinfo, TRUE);
    jpeg_start_decompress(&cinfo);
    row.resize(std::size_t(cinfo.output_width) * std::size_t(cinfo.output_components));
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW rows[1] = {row.data()};
        jpeg_read_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_decompress(&cinfo);
    const int scans = c.scans > 0 ? c.scans : 1;  // a baseline file may finish before a progress call
    jpeg_destroy_decompress(&cinfo);
    return scans;
}

}  // namespace

TEST_CASE("count_jpeg_scans counts the scans libjpeg reads", "[jpeg]") {
    int files = 0, progressive = 0;
    for (const char *dir : {"tests/data/images", "tests/data/pillow-corpus/jpeg", "tests/data/bad"}) {
        for (const auto &entry : std::filesystem::directory_iterator(testing::repo_path(dir))) {
            const auto bytes = testing::read_bytes(std::string(dir) + "/" + entry.path().filename().string());
            if (!digitinfer::core::looks_like_jpeg(bytes.data(), bytes.size())) continue;
            const int expected = libjpeg_scans(bytes);
            const std::size_t counted =
                digitinfer::core::count_jpeg_scans(bytes.data(), bytes.size(), std::numeric_limits<std::size_t>::max());
            INFO(entry.path().filename().string() << ": libjpeg " << expected << ", counted " << counted);
            if (expected > 0) {  // a file libjpeg decodes: the walk must find exactly its scans
                CHECK(counted == std::size_t(expected));
                ++files;
                progressive += expected > 1;
            }
        }
    }
    CHECK(files >= 20);
    CHECK(progressive >= 2);  // the corpus's progressive files, e.g. 60 empty scans
}

TEST_CASE("count_jpeg_scans stops counting past its limit", "[jpeg]") {
    const auto bytes = testing::read_bytes("tests/data/pillow-corpus/jpeg/progressive-60-empty-scans.jpg");
    CHECK(digitinfer::core::count_jpeg_scans(bytes.data(), bytes.size(), 1000) == 60);
    CHECK(digitinfer::core::count_jpeg_scans(bytes.data(), bytes.size(), 10) == 11);
}
