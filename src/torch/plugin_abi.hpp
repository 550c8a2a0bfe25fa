// The boundary between the core library and its libtorch plugin
// (libdigitinfer_torch.so, dlopen'ed the first time a TorchScript file is
// loaded), so that programs using .dimodel files never load libtorch.
//
// C++ objects cross it, which is safe only between a core and a plugin built
// from the same tree by the same compiler and standard library: the plugin
// exports its fingerprint (kTorchPluginFingerprint as it was compiled there)
// and the loader refuses any plugin whose fingerprint is not its own. Change
// DI_TORCH_PLUGIN_ABI whenever anything declared here changes.
//
// The plugin only reports what libtorch says; the core decides everything
// else (metadata, engine, notes: core/torchscript_route.cpp). No exception
// crosses the boundary: calls report a status and a message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "digitinfer/digitinfer.h"
#include "engine/plan.hpp"

namespace digitinfer::core {

#define DI_TORCH_PLUGIN_ABI 4

#define DI_TORCH_STR2(x) #x
#define DI_TORCH_STR(x) DI_TORCH_STR2(x)
#if defined(_GLIBCXX_USE_CXX11_ABI)
#define DI_TORCH_STDLIB "libstdc++ cxx11-abi " DI_TORCH_STR(_GLIBCXX_USE_CXX11_ABI)
#elif defined(_LIBCPP_VERSION)
#define DI_TORCH_STDLIB "libc++ " DI_TORCH_STR(_LIBCPP_VERSION)
#else
#define DI_TORCH_STDLIB "unknown standard library"
#endif
inline constexpr const char *kTorchPluginFingerprint =
    "digitinfer-torch-plugin abi " DI_TORCH_STR(DI_TORCH_PLUGIN_ABI) "; digitinfer " DI_VERSION_STRING "; " __VERSION__ "; " DI_TORCH_STDLIB;

// [N, C, H, W] input images.
struct TorchShape {
    int channels = 1, height = 28, width = 28;
};

// How a module is loaded and run (core/network.hpp's NetworkOptions, for the plugin).
struct TorchOpenOptions {
    int threads = 0;                       // > 0: also sets libtorch's process-wide thread count
    bool trusted = false;                  // false: operator allow-list, no __setstate__
    uint32_t time_limit_ms = 0;            // per libtorch forward (and per pass that runs ops); 0: none
    uint64_t memory_limit_bytes = 0;       // bytes live at once in one of them; 0: none
};

// A loaded TorchScript module.
class TorchModule {
public:
    virtual ~TorchModule() = default;
    // The digitinfer.json extra file of the archive, or "" when it has none.
    virtual const std::string &metadata_json() const noexcept = 0;
    // Runs the module (as loaded, in eval mode; once optimize() succeeded, its optimized
    // form) on a copy of n images, in chunks of as many as its memory limit allows, each
    // forward under the time and memory limits; `output` receives n * classes floats.
    // DI_ERR_MODEL when the output is not a float [n, classes] tensor, DI_ERR_INFERENCE when
    // forward throws or runs past the time limit, DI_ERR_OUT_OF_MEMORY when one image needs
    // more than the memory limit. Thread-safe.
    virtual di_status run(const float *input, std::size_t n, const TorchShape &shape, std::vector<float> &output,
                          int &classes, std::string &error) const noexcept = 0;
    // The module's graph (frozen) as a plan for the native engine; DI_ERR_MODEL
    // saying which node is not supported otherwise. Freezing and the lowering passes run
    // ops (constant propagation): under the limits too.
    virtual di_status lower(const TorchShape &shape, engine::Plan &plan, std::string &error) noexcept = 0;
    // Freezes, optimize_for_inference's and warms up the module; on failure it stays as loaded.
    virtual di_status optimize(const TorchShape &shape, std::string &error) noexcept = 0;
    // Back to the module as loaded, after an optimize() whose results were wrong.
    virtual void unoptimize() noexcept = 0;
};

// The plugin's entry points (extern "C"): its fingerprint, and loading a module. Loading
// runs no model code unless trusted (untrusted: the archive's code may not define
// __setstate__, and every operator forward reaches must be on the allow-list,
// torch/op_allowlist.cpp), and refuses tensors that are not dense, on the CPU and finite:
// DI_ERR_MODEL saying which.
using TorchFingerprintFunction = const char *(*)() noexcept;
using TorchOpenFunction = di_status (*)(const std::string &bytes, const TorchOpenOptions &options,
                                        std::unique_ptr<TorchModule> &out, std::string &error) noexcept;
inline constexpr const char *kTorchFingerprintSymbol = "digitinfer_torch_fingerprint";
inline constexpr const char *kTorchOpenSymbol = "digitinfer_torch_open";

// Loads the plugin once (thread-safe), checks its fingerprint, and returns its
// open function; throws Failure(DI_ERR_MODEL) saying what is wrong when it cannot.
TorchOpenFunction torch_plugin();

}  // namespace digitinfer::core
