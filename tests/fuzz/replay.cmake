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

# The targets that go through the public API (tests/fuzz/CMakeLists.txt says what each does).
# They read their seed models and images from the source tree.
# di_api_replay(NAME LIBRARY TEST INPUTS...): fuzz_replay_NAME runs fuzz_NAME.cpp once on every input.
function(di_api_replay name library test)
  add_executable(fuzz_replay_${name} ${DI_FUZZ_DIR}/replay_main.cpp ${DI_FUZZ_DIR}/fuzz_${name}.cpp)
  target_link_libraries(fuzz_replay_${name} PRIVATE ${library})
  target_compile_options(fuzz_replay_${name} PRIVATE -Wall -Wextra)
  target_compile_definitions(fuzz_replay_${name} PRIVATE DI_FUZZ_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  add_test(NAME "${test}" COMMAND fuzz_replay_${name} ${ARGN})
  set_tests_properties("${test}" PROPERTIES LABELS replay PASS_REGULAR_EXPRESSION "replayed [0-9]+ inputs")
endfunction()
di_api_replay(c_api DigitInfer::digitinfer "fuzz replay: C API call sequences"
  ${DI_FUZZ_API_SEEDS} ${DI_FUZZ_API_REGRESSIONS})
di_api_replay(onnx_model DigitInfer::digitinfer "fuzz replay: ONNX model seeds and regressions"
  ${DI_FUZZ_ONNX_SEEDS} ${DI_FUZZ_ONNX_REGRESSIONS})
if(DIGITINFER_WITH_TORCH)
  di_api_replay(torchscript_model DigitInfer::digitinfer "fuzz replay: TorchScript model seeds and regressions"
    ${DI_FUZZ_TORCHSCRIPT_SEEDS} ${DI_FUZZ_TORCHSCRIPT_REGRESSIONS})
endif()
if(TARGET digitinfer_server_lib)
  di_api_replay(server_request digitinfer_server_lib "fuzz replay: server request seeds and regressions"
    ${DI_FUZZ_SERVER_SEEDS} ${DI_FUZZ_SERVER_REGRESSIONS})
endif()
