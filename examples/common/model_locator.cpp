#include "model_locator.hpp"

#include <cstdlib>
#include <stdexcept>
#include <utility>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace common {
namespace {

bool is_regular_file(const std::string &path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// <prefix>/share/digitinfer/models/... next to <prefix>/bin/<program>: found
// wherever the install tree was put, not only at the configured prefix.
std::string model_beside_executable() {
    char exe[4096];
    const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return {};
    std::string dir(exe, std::size_t(n));
    dir = dir.substr(0, dir.rfind('/'));
    return dir + "/../share/digitinfer/models/convnet.dimodel";
}

// Candidates in lookup order, each with where it came from (for the error message).
std::vector<std::pair<std::string, std::string>> candidates() {
    std::vector<std::pair<std::string, std::string>> list;
    if (const std::string beside = model_beside_executable(); !beside.empty())
        list.emplace_back(beside, "installed beside the executable");
#ifdef DIGITINFER_INSTALLED_MODEL
    list.emplace_back(DIGITINFER_INSTALLED_MODEL, "installed model");
#endif
#ifdef DIGITINFER_SOURCE_MODEL
    list.emplace_back(DIGITINFER_SOURCE_MODEL, "source tree model");
#endif
    return list;
}

}  // namespace

std::string default_model_path() {
    // An explicit choice is taken as is: a typo must fail, not fall back silently.
    if (const char *env = std::getenv("DIGITINFER_MODEL"); env && *env) return env;
    std::string tried;
    for (const auto &[path, origin] : candidates()) {
        if (is_regular_file(path)) return path;
        tried += "\n  " + path + " (" + origin + ")";
    }
    if (tried.empty()) tried = "\n  (nothing: DIGITINFER_MODEL is unset and no default was compiled in)";
    throw std::runtime_error("no model given (--model) and no default model found; tried:" + tried);
}

}  // namespace common
