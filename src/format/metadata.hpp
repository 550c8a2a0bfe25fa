// The model's description: the optional digitinfer.json TorchScript extra
// file, or the SPEC defaults when the file carries none.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "digitinfer/digitinfer.h"

namespace digitinfer::core {

inline constexpr const char *kMetadataFile = "digitinfer.json";

struct Metadata {
    std::string name = "model";
    int channels = 1;
    int height = 28;
    int width = 28;
    float mean = 0.1302f;
    float std = 0.3069f;
    std::vector<std::string> labels;              // empty: "0", "1", ... up to num_classes
    di_output_kind output = DI_OUTPUT_AUTO;       // AUTO: detect from a dummy forward
    bool present = false;                         // true when read from the extra file
};

// Parses digitinfer.json; throws Failure(DI_ERR_MODEL) naming the bad field.
Metadata parse_metadata(const std::string &json);

// The schema's names of output kinds: "log_probabilities", "logits", "probabilities"
// ("auto" for DI_OUTPUT_AUTO), nullptr for other values.
const char *output_kind_name(di_output_kind kind);
// The kind `name` means, accepting torch's "log_softmax" and "softmax" too; nullopt otherwise.
std::optional<di_output_kind> output_kind_from_name(const std::string &name);

}  // namespace digitinfer::core
