// Whole-file reads with DI_ERR_IO failures.
#pragma once

#include <cstddef>
#include <string>

namespace digitinfer::core {

// Returns the bytes of `path`, a regular file of at most max_bytes bytes; throws
// Failure(DI_ERR_IO) naming the file and the reason otherwise. A FIFO, a device
// (/dev/zero) or a directory is refused without reading it (a FIFO without a
// writer is not even waited for), and a file that grows past max_bytes while
// it is read is refused too.
std::string read_file(const std::string &path, std::size_t max_bytes);

}  // namespace digitinfer::core
