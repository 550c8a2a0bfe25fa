#include "image/cpu_features.hpp"

#include <cstdlib>
#include <cstring>

namespace digitinfer::core::cpu {

#if defined(__x86_64__)
namespace {

bool scalar_requested() {
    const char *isa = std::getenv("DIGITINFER_ISA");
    return isa && std::strcmp(isa, "scalar") == 0;
}

}  // namespace

bool has_avx2() {
    static const bool yes = (__builtin_cpu_init(), __builtin_cpu_supports("avx2") && !scalar_requested());
    return yes;
}

bool has_sse41() {
    static const bool yes = (__builtin_cpu_init(), __builtin_cpu_supports("sse4.1") && !scalar_requested());
    return yes;
}
#else
bool has_avx2() { return false; }
bool has_sse41() { return false; }
#endif

}  // namespace digitinfer::core::cpu
