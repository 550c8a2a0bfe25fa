# The fuzz targets' inputs, shared by CMakeLists.txt (the libFuzzer build) and
# replay.cmake (the plain replay build). Paths are absolute.
include_guard(GLOBAL)

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
