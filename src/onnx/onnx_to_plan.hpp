// ONNX models on the native engine: an ONNX ModelProto (as torch.onnx.export
// writes it, opsets 9-17) lowered to an engine plan (engine/plan.hpp), with
// the model's metadata. No ONNX Runtime and no libtorch: the file is parsed
// with protobuf-lite (onnx.proto) and every node matched to plan nodes, as
// src/torch/graph_to_plan.cpp does for TorchScript.
//
// The file is untrusted: its size is bounded before protobuf parses it, every
// initializer's element count is checked against its dims (and its bytes),
// external data is refused, and every shape is checked (engine::output_shape)
// as the plan is built, so a hostile file fails with DI_ERR_MODEL, never a crash.
#pragma once

#include <cstddef>
#include <string>

#include "engine/plan.hpp"
#include "format/metadata.hpp"

namespace digitinfer::core {

// The largest .onnx file read (protobuf itself stops at 2 GiB).
inline constexpr std::size_t kMaxOnnxBytes = std::size_t(1) << 30;

// Whether `bytes` is meant as an ONNX model: its first field is ir_version
// (field 1, varint: 0x08, which every exporter writes first), or it parses as
// a ModelProto with a graph. A false answer says nothing about validity.
bool looks_like_onnx(const std::string &bytes);

struct OnnxModel {
    Metadata metadata;  // from metadata_props, else the defaults; output kind and labels resolved
    engine::Plan plan;  // not simplified
};

// Parses and lowers an ONNX model. Throws Failure(DI_ERR_MODEL): "invalid ONNX model: ..." for a
// file that is not a well-formed model, "unsupported: Op (why); ..." naming every operator the
// native engine does not run.
OnnxModel read_onnx_model(const std::string &bytes);

}  // namespace digitinfer::core
