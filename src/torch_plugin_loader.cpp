// Finds and loads libdigitinfer_torch.so: $DIGITINFER_TORCH_PLUGIN, else
// digitinfer/libdigitinfer_torch.so next to this library (build and install trees alike).
#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

#include "failure.hpp"
#include "torch_backend.hpp"

namespace digitinfer {
namespace {

std::string plugin_path() {
    if (const char *env = std::getenv("DIGITINFER_TORCH_PLUGIN"); env && *env) return env;
    Dl_info self{};
    if (!dladdr(reinterpret_cast<void *>(&torch_plugin), &self) || !self.dli_fname) return "libdigitinfer_torch.so";
    std::string dir = self.dli_fname;
    dir = dir.substr(0, dir.rfind('/') + 1);
    return dir + "digitinfer/libdigitinfer_torch.so";
}

}  // namespace

TorchLoadFunction torch_plugin() {
    static std::once_flag once;
    static TorchLoadFunction load = nullptr;
    static std::string error;
    std::call_once(once, [] {
        const std::string path = plugin_path();
        // Never closed: libtorch does not support being unloaded.
        void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            error = std::string("cannot load the libtorch plugin: ") + dlerror();
            return;
        }
        load = reinterpret_cast<TorchLoadFunction>(dlsym(handle, kTorchLoadSymbol));
        if (!load) error = "libtorch plugin " + path + " has no " + kTorchLoadSymbol;
    });
    if (!load) fail(DI_ERR_MODEL, error + " (TorchScript files need it; .dimodel files do not)");
    return load;
}

}  // namespace digitinfer
