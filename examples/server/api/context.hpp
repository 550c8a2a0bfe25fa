// What the API handlers share: the served models, the forward pool, the model
// store, the settings, and token authorization when it is on.
#ifndef DIGITINFER_SERVER_API_CONTEXT_HPP
#define DIGITINFER_SERVER_API_CONTEXT_HPP

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "auth/token_auth.hpp"
#include "batching/batcher.hpp"
#include "models/model_registry.hpp"
#include "models/model_store.hpp"
#include "options/server_options.hpp"

namespace server::api {

struct Context {
    const options::ServerOptions &options;
    models::ModelRegistry registry;
    models::ModelStore store;
    batching::Batcher &batcher;
    std::unique_ptr<auth::TokenAuth> auth;  ///< null: no token authorization
    std::function<std::string()> scrape;    ///< the metrics text
    std::atomic<bool> started{false};       ///< every startup model is loaded

    /// Ready to predict: every startup model is loaded (each ran its warm-up forward) and one is there.
    bool serving() const { return started.load() && registry.size() > 0; }
    /// The batch settings of a new model: the server's, overridden by register parameters when > = 0.
    models::BatchSettings batch_settings(int batch_size = -1, int max_batch_delay_ms = -1, int workers = -1) const;
    /// Loads `path` (a file the store resolved) and registers it; throws ApiError (400 bad model, 409 taken).
    std::shared_ptr<models::ServedModel> load(const std::string &name, const std::string &version,
                                              const std::string &url, const std::string &path,
                                              const models::BatchSettings &settings, bool at_startup);
};

}  // namespace server::api

#endif  // DIGITINFER_SERVER_API_CONTEXT_HPP
