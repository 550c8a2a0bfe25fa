// What one plan may make the engine allocate and compute (docs/robustness.md):
// a small hostile file must not cost gigabytes or minutes. Each bound is far
// above any digit model (the zoo's and the reference ConvNet's figures are in
// docs/robustness.md) and names itself in the std::invalid_argument that
// Engine::create throws (the loader's DI_ERR_MODEL).
#pragma once

#include <cstdint>

namespace digitinfer::engine {

// Floats per vector of the widest kernel set (AVX-512): computed tensors pad
// their channels to it, so the per-tensor bound counts them padded to it, at
// every ISA alike.
inline constexpr std::uint64_t kMaxVector = 16;
// Per tensor and per weight, channels padded (64 MiB): keeps sizes in int range.
inline constexpr std::uint64_t kMaxFloats = std::uint64_t(1) << 24;
// Scratch per thread (256 MiB): every tensor of a batch group, the padded and
// unrolled copies; each thread of a batch has its own.
inline constexpr std::uint64_t kMaxScratchFloats = std::uint64_t(1) << 26;
// All packed weights of one engine (256 MiB).
inline constexpr std::uint64_t kMaxPackedFloats = std::uint64_t(1) << 26;
// Operations per image: 2 per multiply-add of the convolutions (grouped ones
// counted as the ungrouped ones they run as) and Linear layers, 1 per pooling
// tap and per element of the other nodes. ResNet-50 at 224 x 224 is 8.2e9.
inline constexpr double kMaxOperations = 1e10;

}  // namespace digitinfer::engine
