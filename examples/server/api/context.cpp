#include "context.hpp"

#include "responses.hpp"

namespace server::api {

models::BatchSettings Context::batch_settings(int batch_size, int max_batch_delay_ms, int workers) const {
    models::BatchSettings s;
    s.batch_size = batch_size > 0 ? batch_size : options.batch_size;
    s.max_batch_delay = std::chrono::milliseconds(max_batch_delay_ms >= 0 ? max_batch_delay_ms : options.max_batch_delay_ms);
    s.response_timeout = std::chrono::seconds(options.response_timeout);
    s.workers = workers >= 0 ? workers : (options.workers_per_model > 0 ? options.workers_per_model : batcher.threads());
    return s;
}

std::shared_ptr<models::ServedModel> Context::load(const std::string &name, const std::string &version,
                                                   const std::string &url, const std::string &path,
                                                   const models::BatchSettings &settings, bool at_startup) {
    if (name.empty() || name.size() > 128 || name.find('/') != std::string::npos)
        throw bad_request("invalid model name '" + name + "'");
    if (version.empty() || version.size() > 64 || version.find('/') != std::string::npos)
        throw bad_request("invalid model version '" + version + "'");
    digitinfer::Model model;
    try {
        model = digitinfer::Model(path, options.model.load_options());
    } catch (const digitinfer::Error &e) {
        throw bad_request("cannot load model '" + name + "' from " + url + ": " + e.what());
    }
    auto served = std::make_shared<models::ServedModel>(name, version, url, std::move(model), settings, at_startup);
    registry.add(served);
    return served;
}

}  // namespace server::api
