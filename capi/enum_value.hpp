// An enum argument of the C API as the integer the caller passed. A C caller may
// pass any int; in C++ a value outside the enum's range is undefined the moment it
// is read as the enum, so the C functions read the bytes instead (UBSan's -fsanitize=enum).
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

namespace digitinfer::core {

template <class Enum>
int32_t enum_value(const Enum &e) {
    static_assert(std::is_enum_v<Enum> && sizeof(Enum) == sizeof(int32_t), "a C API enum");
    int32_t v;
    std::memcpy(&v, &e, sizeof v);
    return v;
}

}  // namespace digitinfer::core
