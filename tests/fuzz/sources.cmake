# What each fuzz target compiles, shared by CMakeLists.txt (the libFuzzer build)
# and replay.cmake (the plain replay build). Paths are absolute.
include_guard(GLOBAL)

set(DI_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})
set(DI_FUZZ_SRC ${CMAKE_CURRENT_LIST_DIR}/../../src)
# The torch-free preprocessing stages (as tests/unit compiles them).
set(DI_FUZZ_DECODE_SOURCES
  ${DI_FUZZ_SRC}/decode.cpp ${DI_FUZZ_SRC}/decode_png.cpp ${DI_FUZZ_SRC}/decode_jpeg.cpp ${DI_FUZZ_SRC}/decode_gif.cpp
  ${DI_FUZZ_SRC}/grayscale.cpp ${DI_FUZZ_SRC}/resize.cpp)
# The .dimodel reader; the engine comes separately (digitinfer_engine, or its sources).
set(DI_FUZZ_MODEL_SOURCES ${DI_FUZZ_SRC}/native_format.cpp ${DI_FUZZ_SRC}/metadata.cpp)

# Seeds: every image the tests use (good, bad and unsupported) ...
set(DI_FUZZ_DECODE_SEEDS
  ${DI_FUZZ_DIR}/../data/images ${DI_FUZZ_DIR}/../data/bad ${DI_FUZZ_DIR}/../data/unsupported
  ${DI_FUZZ_DIR}/../../examples/images)
# ... and the real model plus tiny valid ones (make_model_seeds.py).
set(DI_FUZZ_MODEL_SEEDS ${DI_FUZZ_DIR}/corpus/native_model ${DI_FUZZ_DIR}/../../models/convnet.dimodel)
# Inputs that once found a bug, replayed for ever.
set(DI_FUZZ_DECODE_REGRESSIONS ${DI_FUZZ_DIR}/regressions/decode)
set(DI_FUZZ_MODEL_REGRESSIONS ${DI_FUZZ_DIR}/regressions/native_model)
