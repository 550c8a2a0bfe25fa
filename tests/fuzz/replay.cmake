# Replays the fuzzers' seeds and regressions in the normal build (any compiler,
# no libFuzzer, no sanitizers unless the build adds them): each fuzz target's
# LLVMFuzzerTestOneInput runs once on every file, through replay_main.cpp.
# Included from tests/CMakeLists.txt:
#   include(${PROJECT_SOURCE_DIR}/tests/fuzz/replay.cmake)
# Links the internal digitinfer_image and digitinfer_format targets (src/).
include(${CMAKE_CURRENT_LIST_DIR}/sources.cmake)

add_executable(fuzz_replay_decode ${DI_FUZZ_DIR}/replay_main.cpp ${DI_FUZZ_DIR}/fuzz_decode.cpp)
target_link_libraries(fuzz_replay_decode PRIVATE digitinfer_image)

add_executable(fuzz_replay_native_model ${DI_FUZZ_DIR}/replay_main.cpp ${DI_FUZZ_DIR}/fuzz_native_model.cpp)
target_link_libraries(fuzz_replay_native_model PRIVATE digitinfer_format)

foreach(_target fuzz_replay_decode fuzz_replay_native_model)
  target_compile_options(${_target} PRIVATE -Wall -Wextra)
endforeach()

add_test(NAME "fuzz replay: decode seeds and regressions"
  COMMAND fuzz_replay_decode ${DI_FUZZ_DECODE_SEEDS} ${DI_FUZZ_DECODE_REGRESSIONS})
add_test(NAME "fuzz replay: native model seeds and regressions"
  COMMAND fuzz_replay_native_model ${DI_FUZZ_MODEL_SEEDS} ${DI_FUZZ_MODEL_REGRESSIONS})
set_tests_properties("fuzz replay: decode seeds and regressions" "fuzz replay: native model seeds and regressions"
  PROPERTIES LABELS replay PASS_REGULAR_EXPRESSION "replayed [0-9]+ inputs")
