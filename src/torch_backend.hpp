// The boundary between the core library and its libtorch plugin
// (libdigitinfer_torch.so, loaded with dlopen the first time a TorchScript file
// is loaded), so that programs using .dimodel files never load libtorch.
// Both sides are built together from this tree; nothing here is public ABI.
// No exception crosses the boundary: calls report a status and a message.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "digitinfer/digitinfer.h"
#include "engine/plan.hpp"
#include "metadata.hpp"

namespace digitinfer {

struct NetworkOptions {
    di_output_kind output = DI_OUTPUT_AUTO;  // overrides the metadata when not AUTO
    di_engine engine = DI_ENGINE_AUTO;
    int threads = 0;                         // 0: the machine's cores
};

// A libtorch forward pass over n normalized images -> n * num_classes outputs.
class TorchForward {
public:
    virtual ~TorchForward() = default;
    virtual di_status forward(const float *input, std::size_t n, float *output, std::string &error) const noexcept = 0;
};

// What the plugin makes of a TorchScript file.
struct TorchModel {
    Metadata metadata;                   // output kind resolved, labels filled
    int num_classes = 0;
    di_engine engine = DI_ENGINE_LIBTORCH;  // what `forward` runs: LIBTORCH or LIBTORCH_REFERENCE
    std::string note;                    // why no plan, or why the module is not optimized
    std::optional<engine::Plan> plan;    // the graph, when the native engine can run it
    std::unique_ptr<TorchForward> forward;
};

// The plugin's one entry point.
using TorchLoadFunction = di_status (*)(const std::string &bytes, const NetworkOptions &options, TorchModel &out,
                                        std::string &error) noexcept;
inline constexpr const char *kTorchLoadSymbol = "digitinfer_torch_load";

// Loads the plugin once (thread-safe) and returns its entry point; throws
// Failure(DI_ERR_MODEL) saying where it looked when it cannot.
TorchLoadFunction torch_plugin();

}  // namespace digitinfer
