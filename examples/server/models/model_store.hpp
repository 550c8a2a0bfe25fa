// Where models may be loaded from: files directly inside the model store
// directory, or file:// paths inside directories the operator allowed. No
// downloads, no path traversal: a register request names a file, not a path.
#ifndef DIGITINFER_SERVER_MODELS_MODEL_STORE_HPP
#define DIGITINFER_SERVER_MODELS_MODEL_STORE_HPP

#include <string>
#include <utility>
#include <vector>

namespace server::models {

class ModelStore {
public:
    ModelStore(std::string directory, std::vector<std::string> allowed_directories);

    /// The file a register `url` names. Throws api::ApiError: 400 for URLs, paths and anything outside
    /// the store or the allowed directories; 404 when the file is not there.
    std::string resolve(const std::string &url) const;
    /// Every model file (.dimodel, .pt) in the store: {name (the file's stem), file name}, by name.
    std::vector<std::pair<std::string, std::string>> all() const;
    const std::string &directory() const noexcept { return directory_; }

    /// "convnet.dimodel" -> "convnet"
    static std::string model_name_of(const std::string &file);

private:
    std::string directory_;  ///< canonical, or "" when there is none
    std::vector<std::string> allowed_;  ///< canonical
};

}  // namespace server::models

#endif  // DIGITINFER_SERVER_MODELS_MODEL_STORE_HPP
