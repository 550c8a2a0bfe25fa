#include "torch/archive_code.hpp"

#include "torch/pickle_scan.hpp"

#include <algorithm>
#include <sstream>
#include <string_view>

#include <caffe2/serialize/inline_container.h>

namespace digitinfer::core {
namespace {

bool ends_with(std::string_view name, std::string_view suffix) {
    return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
}

// The first non-empty result of check(name, text) over the records whose names `select` accepts.
template <class Select, class Check>
std::string first_record_result(const std::string &bytes, Select select, Check check) {
    std::istringstream stream(bytes);
    caffe2::serialize::PyTorchStreamReader reader(&stream);
    for (const std::string &name : reader.getAllRecords()) {
        if (!select(name)) continue;
        const auto record = reader.getRecord(name);
        const std::string_view text(static_cast<const char *>(std::get<0>(record).get()), std::get<1>(record));
        std::string result = check(name, text);
        if (!result.empty()) return result;
    }
    return "";
}

// Code records: tensors (data/), pickles, extra files hold none.
bool is_code(const std::string &name) { return name.rfind("code/", 0) == 0; }

// A class-body statement `name = value` (indented two spaces, in a `class` block) whose target has
// no annotation and is not one of the exporter's untyped lists.
bool is_untyped_constant(std::string_view line) {
    if (line.size() < 3 || line.substr(0, 2) != "  " || line[2] == ' ') return false;
    line.remove_prefix(2);
    if (line.rfind("def ", 0) == 0 || line[0] == '@' || line[0] == '#') return false;
    std::size_t eq = line.find('=');
    while (eq != std::string_view::npos && eq + 1 < line.size() && line[eq + 1] == '=') eq = line.find('=', eq + 2);
    if (eq == std::string_view::npos) return false;
    std::string_view target = line.substr(0, eq);
    if (target.find(':') != std::string_view::npos || target.find('[') != std::string_view::npos)
        return false;  // `name : T = value`, or `__annotations__["name"] = T`
    while (!target.empty() && target.back() == ' ') target.remove_suffix(1);
    for (std::string_view allowed : {"__parameters__", "__buffers__", "__annotations__", "__forward_pre_hooks__",
                                     "__forward_hooks__"})
        if (target == allowed) return false;
    return true;
}

}  // namespace

std::string setstate_record(const std::string &bytes) {
    return first_record_result(bytes, is_code, [](const std::string &name, std::string_view text) {
        return text.find("__setstate__") != std::string_view::npos ? name : std::string();
    });
}

std::string untyped_class_constant(const std::string &bytes) {
    const auto is_source = [](const std::string &name) { return is_code(name) && ends_with(name, ".py"); };
    return first_record_result(bytes, is_source, [](const std::string &name, std::string_view text) {
        bool in_class = false;
        std::size_t number = 0;
        for (std::size_t begin = 0; begin < text.size();) {
            std::size_t end = text.find('\n', begin);
            if (end == std::string_view::npos) end = text.size();
            const std::string_view line = text.substr(begin, end - begin);
            begin = end + 1;
            ++number;
            if (!line.empty() && line[0] != ' ') in_class = line.rfind("class ", 0) == 0;
            else if (in_class && is_untyped_constant(line))
                return name + ", line " + std::to_string(number) + ": " + std::string(line.substr(2, 80));
        }
        return std::string();
    });
}

std::string pickle_record_fault(const std::string &bytes) {
    const auto is_pickle = [](const std::string &name) { return ends_with(name, ".pkl"); };
    return first_record_result(bytes, is_pickle, [](const std::string &name, std::string_view text) {
        const std::string fault = pickle_fault(text);
        return fault.empty() ? fault : name + ", " + fault;
    });
}

std::optional<std::string> without_debug_records(const std::string &bytes) {
    std::istringstream stream(bytes);
    caffe2::serialize::PyTorchStreamReader reader(&stream);
    const std::vector<std::string> names = reader.getAllRecords();
    const auto is_debug = [](const std::string &name) { return ends_with(name, ".debug_pkl"); };
    if (std::none_of(names.begin(), names.end(), is_debug)) return std::nullopt;
    std::string out;
    out.reserve(bytes.size());
    caffe2::serialize::PyTorchStreamWriter writer([&out](const void *data, std::size_t size) {
        out.append(static_cast<const char *>(data), size);
        return size;
    });
    for (const std::string &name : names) {  // the version record too: the writer then adds none
        if (is_debug(name)) continue;
        const auto record = reader.getRecord(name);
        writer.writeRecord(name, std::get<0>(record).get(), std::get<1>(record));
    }
    writer.writeEndOfFile();
    return out;
}

}  // namespace digitinfer::core
