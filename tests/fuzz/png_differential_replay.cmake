# The PNG differential harness (fuzz_png_differential.cpp: decode_png against libpng): its seeds,
# and, in the normal build (any compiler, no libFuzzer), a replay of them and of the decode
# regressions. Included from tests/CMakeLists.txt and from the fuzz build's block in
# tests/fuzz/CMakeLists.txt (which only takes the seed list).
include_guard(DIRECTORY)
include(${CMAKE_CURRENT_LIST_DIR}/sources.cmake)

# Every PNG the tests use; the files that are not PNG are skipped at once by the harness.
set(DI_FUZZ_PNG_SEEDS ${DI_FUZZ_DIR}/../data/images ${DI_FUZZ_DIR}/../data/bad
  ${DI_FUZZ_DIR}/../data/pillow-corpus/png ${DI_FUZZ_DECODE_REGRESSIONS})

if(NOT DIGITINFER_BUILD_FUZZERS)
  find_package(PNG REQUIRED)  # Debian libpng-dev, the reference
  add_executable(fuzz_replay_png_differential ${DI_FUZZ_DIR}/replay_main.cpp ${DI_FUZZ_DIR}/fuzz_png_differential.cpp)
  target_link_libraries(fuzz_replay_png_differential PRIVATE digitinfer_image PNG::PNG)
  target_compile_options(fuzz_replay_png_differential PRIVATE -Wall -Wextra)
  add_test(NAME "fuzz replay: png differential seeds and regressions"
    COMMAND fuzz_replay_png_differential ${DI_FUZZ_PNG_SEEDS})
  set_tests_properties("fuzz replay: png differential seeds and regressions"
    PROPERTIES LABELS replay PASS_REGULAR_EXPRESSION "replayed [0-9]+ inputs")
endif()
