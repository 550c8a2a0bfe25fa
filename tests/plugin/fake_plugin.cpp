// A stand-in for a stale or foreign libdigitinfer_torch.so, to show that the
// loader refuses it before calling into it. Built twice (tests/CMakeLists.txt):
// with FAKE_FINGERPRINT, a plugin of another build; without, a plugin from
// before fingerprints existed. Either way, its open function must never run.
#include <cstdio>
#include <cstdlib>

extern "C" {

#ifdef FAKE_FINGERPRINT
__attribute__((visibility("default"))) const char *digitinfer_torch_fingerprint() noexcept { return FAKE_FINGERPRINT; }
#endif

__attribute__((visibility("default"))) int digitinfer_torch_open() {
    std::fputs("fake plugin: open called despite the fingerprint check\n", stderr);
    std::abort();
}

// The 1.0 plugin's only entry point.
__attribute__((visibility("default"))) int digitinfer_torch_load() {
    std::fputs("fake plugin: load called despite the fingerprint check\n", stderr);
    std::abort();
}

}  // extern "C"
