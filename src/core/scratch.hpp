// Per-thread buffers, grown once and reused, so that steady-state predict
// calls on the gray and tensor paths allocate nothing here (decoders and
// resize coefficient tables still allocate per image). Bounded: after a call,
// trim_thread_scratch() frees what exceeds kScratchKeepBytes, so one huge
// batch does not pin its memory on a thread forever.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace digitinfer::core {

inline constexpr std::size_t kScratchKeepBytes = std::size_t(16) << 20;

struct Scratch {
    std::vector<uint8_t> image;       // one preprocessed image (each preprocessing thread)
    std::vector<float> batch;         // the normalized batch
    std::vector<float> scores;        // its outputs
    std::vector<float> torch_output;  // what the libtorch plugin returns
};

Scratch &thread_scratch();

// Releases the calling thread's buffers beyond kScratchKeepBytes in total.
void trim_thread_scratch();

// buffer.data() after growing it to at least n elements.
template <class T>
T *at_least(std::vector<T> &buffer, std::size_t n) {
    if (buffer.size() < n) buffer.resize(n);
    return buffer.data();
}

}  // namespace digitinfer::core
