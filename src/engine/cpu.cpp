// Picks the kernel set: the best the CPU supports, checked once, optionally
// lowered by DIGITINFER_ISA. The AVX2 and AVX-512 sets are built on x86-64 only
// (src/engine/CMakeLists.txt defines DIGITINFER_ENGINE_X86 there); on any other
// CPU the best supported set is Scalar and the others are never referenced.
#include <cstdlib>
#include <cstring>

#include "kernels.hpp"

namespace digitinfer::engine {

const char *isa_name(Isa isa) {
    switch (isa) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    case Isa::Scalar: break;
    }
    return "scalar";
}

namespace {

Isa detect() {
#if defined(DIGITINFER_ENGINE_X86)
    __builtin_cpu_init();
    // GCC and Clang also check that the OS saves the registers (XCR0).
    const bool fma = __builtin_cpu_supports("fma");
    if (fma && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx2"))
        return Isa::Avx512;
    if (fma && __builtin_cpu_supports("avx2")) return Isa::Avx2;
#endif
    return Isa::Scalar;
}

}  // namespace

Isa best_supported_isa() {
    static const Isa best = detect();
    return best;
}

Isa default_isa() {
    Isa isa = best_supported_isa();
    if (const char *env = std::getenv("DIGITINFER_ISA")) {
        Isa forced = isa;
        if (std::strcmp(env, "scalar") == 0) forced = Isa::Scalar;
        else if (std::strcmp(env, "avx2") == 0) forced = Isa::Avx2;
        else if (std::strcmp(env, "avx512") == 0) forced = Isa::Avx512;
        if (int(forced) < int(isa)) isa = forced;
    }
    return isa;
}

const Kernels &kernels_for(Isa isa) {
    if (int(isa) > int(best_supported_isa())) isa = best_supported_isa();
#if defined(DIGITINFER_ENGINE_X86)
    switch (isa) {
    case Isa::Avx512: return kernels_avx512();
    case Isa::Avx2: return kernels_avx2();
    case Isa::Scalar: break;
    }
#endif
    return kernels_scalar();
}

}  // namespace digitinfer::engine
