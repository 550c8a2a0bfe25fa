#include "model_registry.hpp"

#include <algorithm>
#include <mutex>

#include "api/responses.hpp"

namespace server::models {
namespace {

using Versions = std::vector<std::shared_ptr<ServedModel>>;

Versions::const_iterator find_version(const Versions &versions, const std::string &version) {
    return std::find_if(versions.begin(), versions.end(),
                        [&](const std::shared_ptr<ServedModel> &m) { return m->version == version; });
}

}  // namespace

std::shared_ptr<ServedModel> ModelRegistry::find(const std::string &name, const std::string &version) const {
    std::shared_lock lock(mutex_);
    const auto it = models_.find(name);
    if (it == models_.end()) throw api::model_not_found(name);
    const std::string &wanted = version.empty() ? it->second.default_version : version;
    const auto found = find_version(it->second.versions, wanted);
    if (found == it->second.versions.end()) throw api::version_not_found(name, wanted);
    return *found;
}

void ModelRegistry::add(std::shared_ptr<ServedModel> model) {
    std::unique_lock lock(mutex_);
    Entry &entry = models_[model->name];
    if (entry.name.empty()) entry.name = model->name;
    if (find_version(entry.versions, model->version) != entry.versions.end())
        throw api::ApiError(api::status::conflict, "ConflictStatusException",
                            "Model version " + model->version + " is already registered for model " + model->name);
    if (entry.versions.empty()) entry.default_version = model->version;
    entry.versions.push_back(std::move(model));
}

std::shared_ptr<ServedModel> ModelRegistry::remove(const std::string &name, const std::string &version) {
    std::unique_lock lock(mutex_);
    const auto it = models_.find(name);
    if (it == models_.end()) throw api::model_not_found(name);
    Entry &entry = it->second;
    const std::string wanted = version.empty() ? entry.default_version : version;
    const auto found = find_version(entry.versions, wanted);
    if (found == entry.versions.end()) throw api::version_not_found(name, wanted);
    if (wanted == entry.default_version && entry.versions.size() > 1)
        throw api::bad_request("Cannot remove default version " + wanted + " of model " + name +
                               ": set another default version first");
    auto removed = *found;
    entry.versions.erase(found);
    if (entry.versions.empty()) models_.erase(it);
    return removed;
}

void ModelRegistry::set_default(const std::string &name, const std::string &version) {
    std::unique_lock lock(mutex_);
    const auto it = models_.find(name);
    if (it == models_.end()) throw api::model_not_found(name);
    if (find_version(it->second.versions, version) == it->second.versions.end())
        throw api::version_not_found(name, version);
    it->second.default_version = version;
}

ModelRegistry::Entry ModelRegistry::entry(const std::string &name) const {
    std::shared_lock lock(mutex_);
    const auto it = models_.find(name);
    if (it == models_.end()) throw api::model_not_found(name);
    return it->second;
}

std::vector<ModelRegistry::Entry> ModelRegistry::entries() const {
    std::shared_lock lock(mutex_);
    std::vector<Entry> out;
    for (const auto &[name, entry] : models_) out.push_back(entry);
    return out;
}

std::string ModelRegistry::first_name() const {
    std::shared_lock lock(mutex_);
    return models_.empty() ? std::string() : models_.begin()->first;
}

size_t ModelRegistry::size() const {
    std::shared_lock lock(mutex_);
    size_t n = 0;
    for (const auto &[name, entry] : models_) n += entry.versions.size();
    return n;
}

}  // namespace server::models
