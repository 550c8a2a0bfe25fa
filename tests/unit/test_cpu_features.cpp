// DIGITINFER_ISA=scalar turns every image kernel off, not just the resize's (CTest sets the
// variable for the hidden case below: the answer is read once per process).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>

#include "image/cpu_features.hpp"
#include "image/resize_simd.hpp"

using namespace digitinfer::core;

TEST_CASE("DIGITINFER_ISA=scalar turns off the AVX2 and SSE4.1 image kernels", "[.isa_scalar]") {
    const char *isa = std::getenv("DIGITINFER_ISA");
    REQUIRE(isa);
    REQUIRE(std::strcmp(isa, "scalar") == 0);
    CHECK_FALSE(cpu::has_avx2());
    CHECK_FALSE(cpu::has_sse41());
    CHECK_FALSE(resize_simd::available());
}

#if defined(__x86_64__)
TEST_CASE("without DIGITINFER_ISA the image kernels follow the CPU", "[cpu]") {
    REQUIRE(std::getenv("DIGITINFER_ISA") == nullptr);  // the case above is the one with it set
    __builtin_cpu_init();
    CHECK(cpu::has_avx2() == bool(__builtin_cpu_supports("avx2")));
    CHECK(cpu::has_sse41() == bool(__builtin_cpu_supports("sse4.1")));
    CHECK(resize_simd::available() == cpu::has_avx2());
}
#endif
