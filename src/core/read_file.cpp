#include "core/read_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "common/failure.hpp"

namespace digitinfer::core {
namespace {

class File {
public:
    explicit File(int fd) : fd_(fd) {}
    ~File() {
        if (fd_ >= 0) ::close(fd_);
    }
    File(const File &) = delete;
    File &operator=(const File &) = delete;
    int fd() const { return fd_; }

private:
    int fd_;
};

}  // namespace

std::string read_file(const std::string &path, std::size_t max_bytes) {
    auto io_error = [&](const std::string &what) { fail(DI_ERR_IO, "'" + path + "' " + what); };
    // O_NONBLOCK: opening a FIFO would otherwise wait for a writer.
    const File file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (file.fd() < 0) fail(DI_ERR_IO, "cannot open '" + path + "': " + std::strerror(errno));
    struct stat st {};
    if (::fstat(file.fd(), &st) != 0) io_error(std::string("cannot be examined: ") + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) io_error("is a directory");
    if (!S_ISREG(st.st_mode)) io_error("is not a regular file (a FIFO, socket or device)");
    if (std::uint64_t(st.st_size) > max_bytes)
        io_error("is " + std::to_string(st.st_size) + " bytes, over the limit of " + std::to_string(max_bytes));
    std::string bytes(std::size_t(st.st_size), '\0');
    std::size_t size = 0;
    for (;;) {  // to the end, which may not be st_size (a file in /proc says 0; a file may grow)
        if (size == bytes.size()) {
            if (size > max_bytes) io_error("grew past the limit of " + std::to_string(max_bytes) + " bytes");
            bytes.resize(std::min(max_bytes + 1, std::max<std::size_t>(4096, 2 * size)));
        }
        const ssize_t n = ::read(file.fd(), &bytes[size], bytes.size() - size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) io_error(std::string("cannot be read: ") + std::strerror(errno));
        if (n == 0) break;
        size += std::size_t(n);
    }
    bytes.resize(size);
    return bytes;
}

}  // namespace digitinfer::core
