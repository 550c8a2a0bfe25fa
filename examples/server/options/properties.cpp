#include "properties.hpp"

#include <fstream>
#include <stdexcept>

namespace server::options {
namespace {

std::string trim(const std::string &text) {
    const size_t start = text.find_first_not_of(" \t\r\f");
    if (start == std::string::npos) return "";
    return text.substr(start, text.find_last_not_of(" \t\r\f") - start + 1);
}

}  // namespace

std::vector<std::pair<std::string, std::string>> read_properties(const std::string &path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read the config file '" + path + "'");
    std::vector<std::pair<std::string, std::string>> out;
    std::string line, logical;
    while (std::getline(in, line)) {
        line = trim(line);
        if (logical.empty() && (line.empty() || line[0] == '#' || line[0] == '!')) continue;
        if (!line.empty() && line.back() == '\\') {
            logical += line.substr(0, line.size() - 1);
            continue;
        }
        logical += line;
        const size_t sep = logical.find_first_of("=:");
        std::string key = trim(logical.substr(0, sep));
        std::string value = sep == std::string::npos ? "" : trim(logical.substr(sep + 1));
        if (!key.empty()) out.emplace_back(std::move(key), std::move(value));
        logical.clear();
    }
    return out;
}

}  // namespace server::options
