#include "mnist_idx.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>

#include <zlib.h>

namespace cli {
namespace {

constexpr uint32_t kLabelsMagic = 0x00000801;  // unsigned byte, 1 dimension
constexpr uint32_t kImagesMagic = 0x00000803;  // unsigned byte, 3 dimensions
// A hostile header must not make us allocate without bound; MNIST's largest file is 47 MB.
constexpr uint64_t kMaxPayload = uint64_t(1) << 30;

// A gzip stream (zlib also reads plain files through it), closed on scope exit.
class GzReader {
public:
    explicit GzReader(const std::string &path) : path_(path) {
        errno = 0;  // gzopen leaves errno set when the open itself failed
        file_ = gzopen(path.c_str(), "rb");
        if (!file_) fail(std::string("cannot open: ") + (errno ? std::strerror(errno) : "gzopen failed"));
    }
    ~GzReader() {
        if (file_) gzclose(file_);
    }
    GzReader(const GzReader &) = delete;
    GzReader &operator=(const GzReader &) = delete;

    // Reads exactly `size` bytes, or throws saying the file is truncated or corrupt.
    void read_exact(void *data, std::size_t size, const char *what) {
        auto *out = static_cast<unsigned char *>(data);
        while (size > 0) {
            const unsigned chunk = unsigned(std::min<std::size_t>(size, 1u << 30));
            const int got = gzread(file_, out, chunk);
            if (got < 0) fail(std::string("read error: ") + gz_message());
            if (got == 0) fail(std::string("truncated while reading ") + what);
            out += got;
            size -= std::size_t(got);
        }
    }

    uint32_t read_be32(const char *what) {
        unsigned char b[4];
        read_exact(b, sizeof b, what);
        return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | uint32_t(b[3]);
    }

    // Data after the declared payload means the header lies about the sizes.
    void expect_end() {
        unsigned char extra;
        const int got = gzread(file_, &extra, 1);
        if (got < 0) fail(std::string("read error: ") + gz_message());
        if (got > 0) fail("has more data than its header declares");
    }

    [[noreturn]] void fail(const std::string &message) const {
        throw std::runtime_error("'" + path_ + "': " + message);
    }

private:
    const char *gz_message() const {
        int code = 0;
        const char *message = gzerror(file_, &code);
        return message && *message ? message : "unknown zlib error";
    }

    std::string path_;
    gzFile file_ = nullptr;
};

void expect_magic(GzReader &in, uint32_t expected, const char *kind) {
    const uint32_t magic = in.read_be32("the magic number");
    if (magic != expected) {
        char message[128];
        std::snprintf(message, sizeof message, "not an IDX %s file (magic 0x%08x, expected 0x%08x)", kind,
                      unsigned(magic), unsigned(expected));
        in.fail(message);
    }
}

}  // namespace

IdxImages read_idx_images(const std::string &path) {
    GzReader in(path);
    expect_magic(in, kImagesMagic, "images");
    IdxImages images;
    images.count = in.read_be32("the image count");
    const uint32_t rows = in.read_be32("the row count"), cols = in.read_be32("the column count");
    if (rows == 0 || cols == 0 || rows > 4096 || cols > 4096)
        in.fail("implausible image size " + std::to_string(rows) + "x" + std::to_string(cols));
    const uint64_t payload = uint64_t(images.count) * rows * cols;
    if (payload > kMaxPayload) in.fail("implausibly large: " + std::to_string(payload) + " bytes of pixels");
    images.rows = int(rows);
    images.cols = int(cols);
    images.pixels.resize(std::size_t(payload));
    in.read_exact(images.pixels.data(), images.pixels.size(), "the pixels");
    in.expect_end();
    return images;
}

std::vector<uint8_t> read_idx_labels(const std::string &path) {
    GzReader in(path);
    expect_magic(in, kLabelsMagic, "labels");
    const uint32_t count = in.read_be32("the label count");
    if (count > kMaxPayload) in.fail("implausibly large: " + std::to_string(count) + " labels");
    std::vector<uint8_t> labels(count);
    in.read_exact(labels.data(), labels.size(), "the labels");
    in.expect_end();
    return labels;
}

}  // namespace cli
