#include "info_json.hpp"

#include "json_number.hpp"
#include "names.hpp"

namespace common {

nlohmann::ordered_json info_json(const std::string &path, const digitinfer::ModelInfo &i) {
    return {
        {"model", path},
        {"name", i.name},
        {"input", {{"channels", i.channels}, {"height", i.height}, {"width", i.width}}},
        {"mean", json_number(i.mean)},
        {"std", json_number(i.std)},
        {"num_classes", i.num_classes},
        {"labels", i.labels},
        {"output_kind", digitinfer::output_kind_name(i.output_kind)},
        {"has_metadata", i.has_metadata},
        {"engine", digitinfer::engine_name(i.engine)},
        {"engine_note", i.engine_note},
        {"num_threads", i.num_threads},
        {"max_pixels", i.max_pixels},
        {"max_encoded_bytes", i.max_encoded_bytes},
        {"cache", cache_use_name(i.cache)},
        {"cache_path", i.cache_path},
        {"cache_note", i.cache_note},
        {"library_version", digitinfer::version()},
        {"header_version", DI_VERSION_STRING},
    };
}

}  // namespace common
