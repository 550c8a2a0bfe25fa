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
set(_di_api_replays "fuzz replay: C API call sequences")
add_executable(fuzz_replay_c_api ${DI_FUZZ_DIR}/replay_main.cpp ${DI_FUZZ_DIR}/fuzz_c_api.cpp)
target_link_libraries(fuzz_replay_c_api PRIVATE DigitInfer::digitinfer)
add_test(NAME "fuzz replay: C API call sequences" COMMAND fuzz_replay_c_api ${DI_FUZZ_API_SEEDS} ${DI_FUZZ_API_REGRESSIONS})
set(_di_api_replay_targets fuzz_replay_c_api)
add_executable(fuzz_replay_onnx_model ${DI_FUZZ_DIR}/replay_main.cpp ${DI_FUZZ_DIR}/fuzz_onnx_model.cpp)
target_link_libraries(fuzz_replay_onnx_model PRIVATE DigitInfer::digitinfer)
add_test(NAME "fuzz replay: ONNX model seeds and regressions"
  COMMAND fuzz_replay_onnx_model ${DI_FUZZ_ONNX_SEEDS} ${DI_FUZZ_ONNX_REGRESSIONS})
list(APPEND _di_api_replays "fuzz replay: ONNX model seeds and regressions")
list(APPEND _di_api_replay_targets fuzz_replay_onnx_model)
if(DIGITINFER_WITH_TORCH)
  add_executable(fuzz_replay_torchscript_model ${DI_FUZZ_DIR}/replay_main.cpp ${DI_FUZZ_DIR}/fuzz_torchscript_model.cpp)
  target_link_libraries(fuzz_replay_torchscript_model PRIVATE DigitInfer::digitinfer)
  add_test(NAME "fuzz replay: TorchScript model seeds and regressions"
    COMMAND fuzz_replay_torchscript_model ${DI_FUZZ_TORCHSCRIPT_SEEDS} ${DI_FUZZ_TORCHSCRIPT_REGRESSIONS})
  list(APPEND _di_api_replays "fuzz replay: TorchScript model seeds and regressions")
  list(APPEND _di_api_replay_targets fuzz_replay_torchscript_model)
endif()
if(TARGET digitinfer_server_lib)
  add_executable(fuzz_replay_server_request ${DI_FUZZ_DIR}/replay_main.cpp ${DI_FUZZ_DIR}/fuzz_server_request.cpp)
  target_link_libraries(fuzz_replay_server_request PRIVATE digitinfer_server_lib)
  add_test(NAME "fuzz replay: server request seeds and regressions"
    COMMAND fuzz_replay_server_request ${DI_FUZZ_SERVER_SEEDS} ${DI_FUZZ_SERVER_REGRESSIONS})
  list(APPEND _di_api_replays "fuzz replay: server request seeds and regressions")
  list(APPEND _di_api_replay_targets fuzz_replay_server_request)
endif()
foreach(_target IN LISTS _di_api_replay_targets)
  target_compile_options(${_target} PRIVATE -Wall -Wextra)
  target_compile_definitions(${_target} PRIVATE DI_FUZZ_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endforeach()
set_tests_properties(${_di_api_replays} PROPERTIES LABELS replay PASS_REGULAR_EXPRESSION "replayed [0-9]+ inputs")
