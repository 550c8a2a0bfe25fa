// A walk over a pickle's opcodes, before libtorch's Unpickler reads it. Internal; torch TUs only.
#pragma once

#include <string>
#include <string_view>

namespace digitinfer::core {

// What in `pickle` would make libtorch 1.13's Unpickler allocate more than the pickle could
// describe, as "byte N: ...", or "" when nothing does. It sizes a string or bytes object from the
// opcode's length field and its memo table from a PUT's index, both before checking them against
// the bytes that follow (a 25 GB allocation from a 542-byte data.pkl, found by
// fuzz_torchscript_model). A length must fit in what is left of the pickle; a memo index, which a
// pickler numbers from 0 upwards, must be below the pickle's size. The walk stops at STOP or at
// an opcode it does not know (libtorch refuses those itself).
std::string pickle_fault(std::string_view pickle);

}  // namespace digitinfer::core
