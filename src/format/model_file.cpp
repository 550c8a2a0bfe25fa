#include "format/model_file.hpp"

#include <cstring>

namespace digitinfer::core {

ModelFileKind model_file_kind(const std::string &bytes) {
    auto starts_with = [&](const char *magic, std::size_t n) {
        return bytes.size() >= n && std::memcmp(bytes.data(), magic, n) == 0;
    };
    if (starts_with(kDimodelMagic, sizeof kDimodelMagic)) return ModelFileKind::Dimodel;
    // A zip local file header. torch.jit.save never writes an empty archive ("PK\5\6").
    if (starts_with("PK\x03\x04", 4)) return ModelFileKind::TorchScript;
    return ModelFileKind::Unknown;
}

}  // namespace digitinfer::core
