# The fuzz targets' inputs, shared by CMakeLists.txt (the libFuzzer build) and
# replay.cmake (the plain replay build). Paths are absolute.
include_guard(DIRECTORY)

set(DI_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})
# Seeds: every image the tests use (good, bad and unsupported) ...
set(DI_FUZZ_DECODE_SEEDS
  ${DI_FUZZ_DIR}/../data/images ${DI_FUZZ_DIR}/../data/bad ${DI_FUZZ_DIR}/../data/unsupported
  ${DI_FUZZ_DIR}/../../examples/images)
# ... and the real model plus tiny valid ones (make_model_seeds.py).
set(DI_FUZZ_MODEL_SEEDS ${DI_FUZZ_DIR}/corpus/native_model ${DI_FUZZ_DIR}/../../models/convnet.dimodel)
# Inputs that once found a bug, replayed for ever.
set(DI_FUZZ_DECODE_REGRESSIONS ${DI_FUZZ_DIR}/regressions/decode)
set(DI_FUZZ_MODEL_REGRESSIONS ${DI_FUZZ_DIR}/regressions/native_model)

# The C API call-sequence and server request fuzzers: programs and requests written by
# make_api_seeds.py; the TorchScript loader: tiny archives (make_torchscript_seeds.py) and
# the bad .pt files of the tests.
set(DI_FUZZ_API_SEEDS ${DI_FUZZ_DIR}/corpus/c_api)
set(DI_FUZZ_API_REGRESSIONS ${DI_FUZZ_DIR}/regressions/c_api)
set(DI_FUZZ_SERVER_SEEDS ${DI_FUZZ_DIR}/corpus/server_request)
set(DI_FUZZ_SERVER_REGRESSIONS ${DI_FUZZ_DIR}/regressions/server_request)
file(GLOB DI_FUZZ_BAD_TORCHSCRIPT ${DI_FUZZ_DIR}/../data/bad/*.pt)
set(DI_FUZZ_TORCHSCRIPT_SEEDS ${DI_FUZZ_DIR}/corpus/torchscript_model ${DI_FUZZ_BAD_TORCHSCRIPT})
set(DI_FUZZ_TORCHSCRIPT_REGRESSIONS ${DI_FUZZ_DIR}/regressions/torchscript_model)
# The ONNX importer: tiny exported models (make_onnx_seeds.py).
set(DI_FUZZ_ONNX_SEEDS ${DI_FUZZ_DIR}/corpus/onnx_model)
set(DI_FUZZ_ONNX_REGRESSIONS ${DI_FUZZ_DIR}/regressions/onnx_model)
