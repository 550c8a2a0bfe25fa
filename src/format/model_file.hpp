// What kind of model file some bytes are, from their first bytes alone: so
// that a file that is not a TorchScript archive is refused without loading
// libtorch (a second and ~170 MB).
#pragma once

#include <string>

namespace digitinfer::core {

inline constexpr char kDimodelMagic[8] = {'D', 'I', 'M', 'O', 'D', 'E', 'L', '\0'};

enum class ModelFileKind {
    Dimodel,      // "DIMODEL\0": format/dimodel.hpp
    TorchScript,  // a zip archive, as torch.jit.save writes: the torch plugin's
    Unknown,
};

ModelFileKind model_file_kind(const std::string &bytes);

}  // namespace digitinfer::core
