# The language bindings (bindings/<lang>), each tested against this build as its users get it:
# installed into the package tests' prefix, found by pkg-config or the loader. Each
# bindings/<lang>/run_tests.sh PREFIX fetches what it needs from its registry into the build
# tree, runs the binding's tests and its example, and leaves the source tree as it was; it
# exits 77 (skipped, with the reason) only when the language's toolchain is not installed.
# Included from tests/package/CMakeLists.txt (PREFIX, the `installed` fixture).
set(_di_bindings_work ${CMAKE_CURRENT_BINARY_DIR}/bindings-work)
foreach(_lang python rust go node)
  set(_script ${PROJECT_SOURCE_DIR}/bindings/${_lang}/run_tests.sh)
  if(NOT EXISTS ${_script})
    continue()
  endif()
  add_test(NAME "bindings: ${_lang} tests and example against the installed library"
    COMMAND bash ${_script} ${PREFIX}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  # One binding at a time (each compiles with every core it may use), beside the other tests:
  # RUN_SERIAL left the second core idle for the ~3 minutes they take.
  set_tests_properties("bindings: ${_lang} tests and example against the installed library" PROPERTIES
    FIXTURES_REQUIRED installed SKIP_RETURN_CODE 77 TIMEOUT 900 RESOURCE_LOCK bindings
    ENVIRONMENT "DIGITINFER_BINDINGS_WORK=${_di_bindings_work}/${_lang};DIGITINFER_BINDINGS_CACHE=${_di_bindings_work}/cache;DIGITINFER_WITH_TORCH=$<BOOL:${DIGITINFER_WITH_TORCH}>")
endforeach()
