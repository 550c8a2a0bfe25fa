#include "model_locator.hpp"

#include <cstdlib>
#include <stdexcept>
#include <utility>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace cli {
namespace {

bool is_regular_file(const std::string &path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// <prefix>/share/digitinfer/models/... next to <prefix>/bin/digitinfer: found
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

constexpr di_engine kEngines[] = {DI_ENGINE_AUTO, DI_ENGINE_NATIVE, DI_ENGINE_LIBTORCH, DI_ENGINE_LIBTORCH_REFERENCE};

di_engine engine_from_name(const std::string &name) {
    for (di_engine e : kEngines)
        if (name == engine_name(e)) return e;
    throw std::runtime_error("unknown engine '" + name + "'");
}

}  // namespace

const char *engine_name(di_engine engine) {
    switch (engine) {
        case DI_ENGINE_AUTO: return "auto";
        case DI_ENGINE_NATIVE: return "native";
        case DI_ENGINE_LIBTORCH: return "libtorch";
        case DI_ENGINE_LIBTORCH_REFERENCE: return "reference";
    }
    return "unknown";
}

void add_model_options(CLI::App &sub, ModelOptions &options, bool with_model) {
    if (with_model)
        sub.add_option("-m,--model", options.path,
                       "TorchScript model file (default: $DIGITINFER_MODEL, else the installed model)");
    sub.add_option("-t,--threads", options.threads, "Intra-op threads for libtorch (0 = its default)")
        ->check(CLI::Range(0, 1024));
    sub.add_option("--engine", options.engine,
                   "Forward pass: auto (native kernels when the graph is supported), native, libtorch "
                   "(frozen + optimize_for_inference) or reference (libtorch, module as loaded)")
        ->check(CLI::IsMember({"auto", "native", "libtorch", "reference"}));
}

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

LoadedModel load_model(const ModelOptions &options) {
    digitinfer::LoadOptions load;
    load.num_threads = options.threads;
    load.engine = engine_from_name(options.engine);
    std::string path = options.path.empty() ? default_model_path() : options.path;
    digitinfer::Model model(path, load);
    return {std::move(path), std::move(model)};
}

}  // namespace cli
