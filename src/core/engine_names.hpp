// Names of engines, as the C API, the CLI and the bindings spell them.
#pragma once

#include <optional>
#include <string>

#include "digitinfer/digitinfer.h"

namespace digitinfer::core {

// "auto", "native", "libtorch", "reference"; nullptr for other values.
const char *engine_name(di_engine engine);
std::optional<di_engine> engine_from_name(const std::string &name);

}  // namespace digitinfer::core
