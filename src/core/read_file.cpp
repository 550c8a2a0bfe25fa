#include "core/read_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "common/failure.hpp"

namespace digitinfer::core {

std::string read_file(const std::string &path) {
    struct stat st {};
    if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) fail(DI_ERR_IO, "'" + path + "' is a directory");
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(DI_ERR_IO, "cannot open '" + path + "': " + std::strerror(errno));
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (in.bad()) fail(DI_ERR_IO, "cannot read '" + path + "'");
    return bytes.str();
}

}  // namespace digitinfer::core
