#include "model_store.hpp"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "api/responses.hpp"

namespace server::models {
namespace fs = std::filesystem;
namespace {

bool is_model_file(const fs::path &path) {
    const auto ext = path.extension();
    return ext == ".dimodel" || ext == ".pt" || ext == ".pth" || ext == ".ts";
}

std::string canonical_dir(const std::string &dir) {
    std::error_code ec;
    const fs::path path = fs::canonical(dir, ec);
    if (ec || !fs::is_directory(path)) throw std::runtime_error("not a directory: '" + dir + "'");
    return path.string();
}

bool inside(const fs::path &file, const std::string &dir) {
    const std::string f = file.string();
    return f.size() > dir.size() && f.compare(0, dir.size(), dir) == 0 && f[dir.size()] == '/';
}

}  // namespace

ModelStore::ModelStore(std::string directory, std::vector<std::string> allowed_directories) {
    if (!directory.empty()) directory_ = canonical_dir(directory);
    for (const auto &dir : allowed_directories) allowed_.push_back(canonical_dir(dir));
}

std::string ModelStore::model_name_of(const std::string &file) { return fs::path(file).stem().string(); }

std::string ModelStore::resolve(const std::string &url) const {
    fs::path candidate;
    if (url.rfind("file://", 0) == 0) {
        candidate = url.substr(7);
        if (!candidate.is_absolute()) throw api::bad_request("a file:// URL needs an absolute path: " + url);
    } else if (url.find("://") != std::string::npos) {
        throw api::bad_request("Downloading models is not supported (" + url +
                               "): copy the file into the model store and register it by name");
    } else {
        if (directory_.empty()) throw api::bad_request("no model store is configured (--model-store)");
        if (url.empty() || url == "." || url == ".." || url.find('/') != std::string::npos ||
            url.find('\\') != std::string::npos)
            throw api::bad_request("Invalid model url '" + url +
                                   "': name a file directly inside the model store, without a path");
        candidate = fs::path(directory_) / url;
    }
    std::error_code ec;
    const fs::path real = fs::canonical(candidate, ec);
    if (ec || !fs::is_regular_file(real))
        throw api::ApiError(api::status::not_found, "ModelNotFoundException",
                            "Model file not found in the model store: " + url);
    const bool in_store = !directory_.empty() && inside(real, directory_);
    const bool allowed = std::any_of(allowed_.begin(), allowed_.end(), [&](const auto &d) { return inside(real, d); });
    // A plain name may be a symlink the operator put in the store; a file:// path must be allowed.
    if (url.rfind("file://", 0) == 0 ? !(allowed || in_store) : !(in_store || allowed || fs::is_symlink(candidate)))
        throw api::bad_request("'" + url + "' is outside the model store and the allowed model directories");
    return real.string();
}

std::vector<std::pair<std::string, std::string>> ModelStore::all() const {
    std::vector<std::pair<std::string, std::string>> out;
    if (directory_.empty()) return out;
    for (const auto &entry : fs::directory_iterator(directory_)) {
        if (!entry.is_regular_file() || !is_model_file(entry.path())) continue;
        const std::string file = entry.path().filename().string();
        out.emplace_back(model_name_of(file), file);
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace server::models
