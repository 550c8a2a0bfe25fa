#include "names.hpp"

#include <digitinfer/digitinfer.h>

namespace common {
namespace {

// The enums are numbered from 0 without gaps and grow only at the end, so the
// first value the library calls "unknown" ends the list: a newer library's
// engines show up without a change here. (The bound only guards against a broken library.)
template <class Enum>
std::vector<std::string> names_of(const char *(*name)(Enum)) {
    std::vector<std::string> names;
    for (int value = 0; value < 256; ++value) {
        const std::string n = name(static_cast<Enum>(value));
        if (n == "unknown") break;
        names.push_back(n);
    }
    return names;
}

}  // namespace

std::vector<std::string> engine_names() { return names_of<di_engine>(di_engine_name); }

std::vector<std::string> output_kind_names() { return names_of<di_output_kind>(di_output_kind_name); }

std::string cache_use_name(int cache_use) {
    switch (cache_use) {
        case DI_CACHE_NOT_USED: return "not_used";
        case DI_CACHE_HIT: return "hit";
        case DI_CACHE_STORED: return "stored";
        case DI_CACHE_NOT_STORED: return "not_stored";
        default: return "unknown";
    }
}

std::string join_names(const std::vector<std::string> &names) {
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i)
        out += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
    return out;
}

}  // namespace common
