// The models being served: several names, several versions each, one default
// version per name. Lookups hand out shared pointers, so a model unregistered
// while requests use it lives until the last of them finishes.
#ifndef DIGITINFER_SERVER_MODELS_MODEL_REGISTRY_HPP
#define DIGITINFER_SERVER_MODELS_MODEL_REGISTRY_HPP

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "served_model.hpp"

namespace server::models {

class ModelRegistry {
public:
    struct Entry {
        std::string name;
        std::string default_version;
        std::vector<std::shared_ptr<ServedModel>> versions;  ///< in registration order
    };

    /// `version` "" = the default. Throws api::ApiError 404 (ModelNotFound / ModelVersionNotFound).
    std::shared_ptr<ServedModel> find(const std::string &name, const std::string &version = "") const;
    /// Throws 409 when that name and version are registered already. The first version becomes the default.
    void add(std::shared_ptr<ServedModel> model);
    /// Removes one version ("" = the default) and returns it. The default goes only when it is the last one
    /// (else 400: set another default first).
    std::shared_ptr<ServedModel> remove(const std::string &name, const std::string &version);
    void set_default(const std::string &name, const std::string &version);
    Entry entry(const std::string &name) const;  ///< throws 404
    std::vector<Entry> entries() const;          ///< by name
    size_t size() const;                         ///< model versions loaded
    std::string first_name() const;              ///< the first model by name, or "" when none

private:
    mutable std::shared_mutex mutex_;
    std::map<std::string, Entry> models_;
};

}  // namespace server::models

#endif  // DIGITINFER_SERVER_MODELS_MODEL_REGISTRY_HPP
