#pragma once
// The x86-64 extensions the image kernels use, asked of the CPU once. DIGITINFER_ISA=scalar (the
// engine's switch, src/engine/cpu.cpp) turns them all off, so that one variable runs the whole
// pipeline on its scalar paths. False on other architectures.
namespace digitinfer::core::cpu {

bool has_avx2();   // resize passes, RGB(A) luma
bool has_sse41();  // PNG Paeth rows

}  // namespace digitinfer::core::cpu
