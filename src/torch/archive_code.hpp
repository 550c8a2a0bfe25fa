// What a TorchScript archive's code defines, read from the zip before torch::jit::load runs
// any of it. Internal; torch TUs only.
#pragma once

#include <string>

namespace digitinfer::core {

// The first record of the archive's code (code/...) that defines or calls __setstate__, or ""
// when none does. torch::jit::load calls a scripted class's __setstate__ while it unpickles
// the module: that runs the file's code before any other check can see it. Throws (c10::Error)
// when the bytes are not a readable archive.
std::string setstate_record(const std::string &bytes);

}  // namespace digitinfer::core
