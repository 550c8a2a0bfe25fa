// The .dimodel file: a model compiled for the native engine — metadata plus
// the engine plan's layers and float32 weights — that loads without libtorch,
// in milliseconds. Written by di_model_export_native; read by the loaders when
// a file starts with the magic bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/plan.hpp"
#include "format/metadata.hpp"

namespace digitinfer::core {

struct NativeModel {
    Metadata metadata;  // output kind resolved; labels filled
    engine::Plan plan;
};

// Serializes a model the native engine runs. Little-endian; see native_format.cpp.
std::string write_native_model(const NativeModel &model);

// Parses and checks a .dimodel; throws Failure(DI_ERR_MODEL) naming what is
// wrong with a corrupt, truncated or hostile file. Never allocates more than
// the file's own size justifies.
NativeModel read_native_model(const std::string &bytes);

}  // namespace digitinfer::core
