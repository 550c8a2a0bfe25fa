// Engine and output-kind names: one table each (core/engine_names,
// format/metadata), here turned into C.
#include "core/engine_names.hpp"
#include "format/metadata.hpp"
#include "guard.hpp"

using namespace digitinfer::core;

extern "C" {

const char *di_engine_name(di_engine engine) {
    const char *name = engine_name(engine);
    return name ? name : "unknown";
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
    const char *name = output_kind_name(kind);
    return name ? name : "unknown";
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
