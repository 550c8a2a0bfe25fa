#include "torch/archive_code.hpp"

#include <cstring>
#include <sstream>

#include <caffe2/serialize/inline_container.h>

namespace digitinfer::core {

std::string setstate_record(const std::string &bytes) {
    std::istringstream stream(bytes);
    caffe2::serialize::PyTorchStreamReader reader(&stream);
    static const std::string kSetState = "__setstate__";
    for (const std::string &name : reader.getAllRecords()) {
        if (name.rfind("code/", 0) != 0) continue;  // tensors (data/), pickles, extra files: no code
        const auto record = reader.getRecord(name);
        const char *text = static_cast<const char *>(std::get<0>(record).get());
        if (std::string_view(text, std::get<1>(record)).find(kSetState) != std::string_view::npos) return name;
    }
    return "";
}

}  // namespace digitinfer::core
