#include "core/scratch.hpp"

namespace digitinfer::core {

Scratch &thread_scratch() {
    thread_local Scratch s;
    return s;
}

void trim_thread_scratch() {
    Scratch &s = thread_scratch();
    auto bytes = [](const auto &v) { return v.capacity() * sizeof(v[0]); };
    if (bytes(s.image) + bytes(s.batch) + bytes(s.scores) + bytes(s.torch_output) <= kScratchKeepBytes) return;
    s = Scratch{};
}

}  // namespace digitinfer::core
