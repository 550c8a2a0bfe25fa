// Whole-file reads with DI_ERR_IO failures.
#pragma once

#include <string>

namespace digitinfer::core {

// Returns the bytes of `path`; throws Failure(DI_ERR_IO) naming the file and the OS reason.
std::string read_file(const std::string &path);

}  // namespace digitinfer::core
