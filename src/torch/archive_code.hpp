// What a TorchScript archive holds, read from the zip before torch::jit::load runs or parses
// any of it: its code, its pickles, its debug records. Internal; torch TUs only.
#pragma once

#include <optional>
#include <string>

namespace digitinfer::core {

// The first record of the archive's code (code/...) that defines or calls __setstate__, or ""
// when none does. torch::jit::load calls a scripted class's __setstate__ while it unpickles
// the module: that runs the file's code before any other check can see it. Throws (c10::Error)
// when the bytes are not a readable archive.
std::string setstate_record(const std::string &bytes);

// The first class-level assignment of the archive's code with a value but no type (as
// "record, line N: text"), or "" when there is none. libtorch's exporter writes every constant as
// `name : Final[T] = value`; libtorch 1.13's importer takes any other `name = value` in a class
// body for a constant and reads its missing type (a SEGV, found by fuzz_torchscript_model). The
// exporter's own untyped ones (__parameters__, __buffers__, the hook lists) are not reported.
std::string untyped_class_constant(const std::string &bytes);

// The first pickle record (*.pkl) with a fault pickle_fault() reports, as "record, byte N: ...",
// or "" when there is none.
std::string pickle_record_fault(const std::string &bytes);

// The archive without its debug records (*.debug_pkl), or nothing when it has none. They map the
// code to the Python source it came from, for error messages only, and libtorch 1.13 trusts them:
// wording a syntax error, it indexes their string table unchecked (a SEGV on a corrupt record,
// found by fuzz_torchscript_model). Throws (c10::Error) when the bytes are not a readable archive.
std::optional<std::string> without_debug_records(const std::string &bytes);

}  // namespace digitinfer::core
