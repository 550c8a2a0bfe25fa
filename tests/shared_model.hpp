// One loaded model per path, shared by the tests of a test executable
// (models are immutable and thread-safe: loading each once saves seconds).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "digitinfer/digitinfer.hpp"
#include "support.hpp"

namespace testing {

inline const digitinfer::Model &shared_model(const std::string &path) {
    static std::map<std::string, std::unique_ptr<digitinfer::Model>> cache;
    auto &slot = cache[path];
    if (!slot) slot = std::make_unique<digitinfer::Model>(repo_path(stand_in(path)));
    return *slot;
}

}  // namespace testing
