// Engine and output-kind names: one table each (core/engine_names,
// format/metadata), here turned into C.
#include "core/engine_names.hpp"
#include "format/metadata.hpp"
#include "enum_value.hpp"
#include "guard.hpp"

using namespace digitinfer::core;

extern "C" {

const char *di_engine_name(di_engine engine) {
    const int32_t value = enum_value(engine);
    if (value < DI_ENGINE_AUTO || value > DI_ENGINE_LIBTORCH_REFERENCE) return "unknown";
    return engine_name(static_cast<di_engine>(value));
}

di_status di_engine_from_name(const char *name, di_engine *out) {
    return guarded([&] {
        require(name, "name");
        require(out, "out");
        const auto engine = engine_from_name(name);
        if (!engine)
            fail(DI_ERR_INVALID_ARGUMENT,
                 std::string("unknown engine \"") + name + "\" (auto, native, libtorch or reference)");
        *out = *engine;
    });
}

const char *di_output_kind_name(di_output_kind kind) {
    const int32_t value = enum_value(kind);
    if (value < DI_OUTPUT_AUTO || value > DI_OUTPUT_PROBABILITIES) return "unknown";
    return output_kind_name(static_cast<di_output_kind>(value));
}

di_status di_output_kind_from_name(const char *name, di_output_kind *out) {
    return guarded([&] {
        require(name, "name");
        require(out, "out");
        const auto kind = output_kind_from_name(name);
        if (!kind)
            fail(DI_ERR_INVALID_ARGUMENT, std::string("unknown output kind \"") + name +
                                              "\" (auto, log_probabilities, logits or probabilities)");
        *out = *kind;
    });
}

}  // extern "C"
