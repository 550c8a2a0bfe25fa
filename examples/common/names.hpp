// The names of engines and output kinds, as the C API spells them
// (di_engine_name, di_output_kind_name): one spelling for options, help and JSON.
#ifndef DIGITINFER_EXAMPLES_NAMES_HPP
#define DIGITINFER_EXAMPLES_NAMES_HPP

#include <string>
#include <vector>

namespace common {

/// Every engine name the linked library knows, in enum order ("auto", "native", ...).
std::vector<std::string> engine_names();

/// Every output kind name the linked library knows, in enum order ("auto", "log_probabilities", ...).
std::vector<std::string> output_kind_names();

/// What the compiled-model cache did: "hit", "stored", "not_stored" or "not_used" ("unknown" for a value
/// of a newer library). The C API has no name function for these: they are only ever shown.
std::string cache_use_name(int cache_use);

/// "a, b or c", for help texts and error messages.
std::string join_names(const std::vector<std::string> &names);

}  // namespace common

#endif  // DIGITINFER_EXAMPLES_NAMES_HPP
