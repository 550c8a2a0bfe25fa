// Reading and writing structs that begin with `uint32_t struct_size`, so that
// callers compiled against an older, shorter struct keep working.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>

#include "guard.hpp"

namespace digitinfer::core {

// The size of each struct's first version: a caller's struct_size is at least that (a smaller
// one was never compiled against any header: writing that many bytes would leave out fields,
// such as di_model_info.name, that every version promises).
template <class T>
inline constexpr std::size_t kFirstVersionSize = sizeof(T);  // unchanged since it appeared
// The first 1.0.0 header (7e9631b) had neither engine field yet; a later 1.0.0 added them.
template <>
inline constexpr std::size_t kFirstVersionSize<di_load_options> = offsetof(di_load_options, engine);  // 1.0
template <>
inline constexpr std::size_t kFirstVersionSize<di_model_info> = offsetof(di_model_info, engine);  // 1.0

template <class T>
std::size_t checked_struct_size(const T &s, const char *name) {
    if (s.struct_size < kFirstVersionSize<T> || s.struct_size > 4096)
        fail(DI_ERR_INVALID_ARGUMENT, std::string(name) + ".struct_size is " + std::to_string(s.struct_size) +
                                          ": initialise the struct with its _default() function");
    return std::min<std::size_t>(s.struct_size, sizeof(T));
}

// Caller's struct over `defaults`: fields the caller does not know keep their default.
template <class T>
T read_versioned(const T *caller, T defaults, const char *name) {
    if (caller) std::memcpy(&defaults, caller, checked_struct_size(*caller, name));
    defaults.struct_size = sizeof(T);
    return defaults;
}

// Copies only the fields the caller's struct has room for; keeps its struct_size.
template <class T>
void write_versioned(T *caller, T value, const char *name) {
    const std::size_t size = checked_struct_size(*caller, name);
    value.struct_size = caller->struct_size;
    std::memcpy(caller, &value, size);
}

}  // namespace digitinfer::core
