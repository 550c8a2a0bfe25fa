#include "served_model.hpp"

namespace server::models {

ServedModel::ServedModel(std::string name, std::string version, std::string url, digitinfer::Model model,
                         BatchSettings settings, bool loaded_at_startup)
    : name(std::move(name)), version(std::move(version)), url(std::move(url)), model(std::move(model)),
      info(this->model.info()), loaded_at_startup(loaded_at_startup), loaded_at(std::chrono::system_clock::now()),
      batch_size(settings.batch_size), max_batch_delay(settings.max_batch_delay),
      response_timeout(settings.response_timeout), workers(settings.workers),
      max_workers(settings.workers) {}

}  // namespace server::models
