#include "core/engine_names.hpp"

namespace digitinfer::core {

const char *engine_name(di_engine engine) {
    switch (engine) {
        case DI_ENGINE_AUTO: return "auto";
        case DI_ENGINE_NATIVE: return "native";
        case DI_ENGINE_LIBTORCH: return "libtorch";
        case DI_ENGINE_LIBTORCH_REFERENCE: return "reference";
        case DI_ENGINE_MAX_ENUM: break;
    }
    return nullptr;
}

std::optional<di_engine> engine_from_name(const std::string &name) {
    for (di_engine e : {DI_ENGINE_AUTO, DI_ENGINE_NATIVE, DI_ENGINE_LIBTORCH, DI_ENGINE_LIBTORCH_REFERENCE})
        if (name == engine_name(e)) return e;
    return std::nullopt;
}

}  // namespace digitinfer::core
