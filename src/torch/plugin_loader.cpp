// Finds, loads and checks libdigitinfer_torch.so: $DIGITINFER_TORCH_PLUGIN,
// else digitinfer/libdigitinfer_torch.so next to this library (build and
// install trees alike). Includes no torch header.
#include <dlfcn.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

#include "common/failure.hpp"
#include "torch/plugin_abi.hpp"

namespace digitinfer::core {
namespace {

std::string plugin_path() {
    if (const char *env = std::getenv("DIGITINFER_TORCH_PLUGIN"); env && *env) return env;
    Dl_info self{};
    if (!dladdr(reinterpret_cast<void *>(&torch_plugin), &self) || !self.dli_fname) return "libdigitinfer_torch.so";
    std::string dir = self.dli_fname;
    dir = dir.substr(0, dir.rfind('/') + 1);
    return dir + "digitinfer/libdigitinfer_torch.so";
}

// The open function of the plugin at `path`, or a message saying why not.
TorchOpenFunction open_plugin(const std::string &path, std::string &error) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
        error = "the libtorch plugin is not installed (no " + path + ")";
        return nullptr;
    }
    // Never closed: libtorch does not support being unloaded.
    void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        error = std::string("cannot load the libtorch plugin: ") + dlerror();
        return nullptr;
    }
    auto fingerprint = reinterpret_cast<TorchFingerprintFunction>(dlsym(handle, kTorchFingerprintSymbol));
    if (!fingerprint) {
        error = "libtorch plugin " + path + " is from another DigitInfer release (it has no " +
                kTorchFingerprintSymbol + "): install the plugin that came with this library";
        return nullptr;
    }
    if (const char *theirs = fingerprint(); !theirs || std::strcmp(theirs, kTorchPluginFingerprint) != 0) {
        error = "libtorch plugin " + path + " does not match this library: it was built as \"" +
                (theirs ? theirs : "") + "\", this library needs \"" + kTorchPluginFingerprint +
                "\"; install the plugin that came with this library";
        return nullptr;
    }
    auto open = reinterpret_cast<TorchOpenFunction>(dlsym(handle, kTorchOpenSymbol));
    if (!open) error = "libtorch plugin " + path + " has no " + kTorchOpenSymbol;
    return open;
}

}  // namespace

TorchOpenFunction torch_plugin() {
    static std::once_flag once;
    static TorchOpenFunction open = nullptr;
    static std::string error;
    std::call_once(once, [] { open = open_plugin(plugin_path(), error); });
    if (!open) fail(DI_ERR_MODEL, error + " (TorchScript files need it; .dimodel files do not)");
    return open;
}

}  // namespace digitinfer::core
