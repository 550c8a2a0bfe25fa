# Sanitized builds of the whole tree (the "asan" and "tsan" presets, the fuzzers):
#
#   cmake -S . -B build-asan -DDIGITINFER_SANITIZE="address;undefined"   # or "thread"
#
# Every C and C++ file, every link: -fsanitize=<list> -fno-omit-frame-pointer -g (or
# DIGITINFER_SANITIZE_DEBUG_FLAG);
# with "undefined", -fno-sanitize-recover=undefined too (a UBSan report fails the test).
# Sets DIGITINFER_SANITIZE_FLAGS (the fuzz targets link with them) and
# DIGITINFER_NO_UNDEFINED (the shared library's link check, empty when sanitizing).
# Included from the top-level CMakeLists.txt, before any target. docs/robustness.md.
include_guard(GLOBAL)

set(_di_sanitize_default "")
if(DIGITINFER_BUILD_FUZZERS)
  set(_di_sanitize_default "address;undefined")  # libFuzzer runs with ASan+UBSan
endif()
set(DIGITINFER_SANITIZE "${_di_sanitize_default}" CACHE STRING
  "Sanitizers for the whole build: a list of address, undefined, leak, thread (thread alone); empty = none")

# The debug information sanitized code carries: -g by default; the asan preset asks clang for
# -gline-tables-only (file:line in every report, a fraction of the compile and link time).
set(DIGITINFER_SANITIZE_DEBUG_FLAG "-g" CACHE STRING "Debug-information flag of sanitized builds")
set(DIGITINFER_SANITIZE_FLAGS "")
set(DIGITINFER_NO_UNDEFINED "LINKER:--no-undefined")
if(DIGITINFER_SANITIZE)
  foreach(_s IN LISTS DIGITINFER_SANITIZE)
    if(NOT _s MATCHES "^(address|undefined|leak|thread)$")
      message(FATAL_ERROR "DIGITINFER_SANITIZE: unknown sanitizer '${_s}' (address, undefined, leak, thread)")
    endif()
  endforeach()
  if("thread" IN_LIST DIGITINFER_SANITIZE AND NOT DIGITINFER_SANITIZE STREQUAL "thread")
    message(FATAL_ERROR "DIGITINFER_SANITIZE: thread cannot be combined with other sanitizers")
  endif()
  list(JOIN DIGITINFER_SANITIZE "," _di_sanitize_list)
  set(DIGITINFER_SANITIZE_FLAGS -fsanitize=${_di_sanitize_list} -fno-omit-frame-pointer ${DIGITINFER_SANITIZE_DEBUG_FLAG})
  if("undefined" IN_LIST DIGITINFER_SANITIZE)
    list(APPEND DIGITINFER_SANITIZE_FLAGS -fno-sanitize-recover=undefined)
  endif()
  add_compile_options(${DIGITINFER_SANITIZE_FLAGS})
  # gcc's manual: "sanitizers tend to increase the rate of false positive warnings, most notably
  # those around -Wmaybe-uninitialized" (libstdc++'s <regex> in Catch2, with -Werror in the tests).
  add_compile_options($<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)
  add_link_options(${DIGITINFER_SANITIZE_FLAGS})
  # clang links a C program with the C half of the UBSan runtime only, which lacks the vptr
  # checks' handlers that the (C++) library calls: link the C++ half too.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND "undefined" IN_LIST DIGITINFER_SANITIZE)
    add_link_options("$<$<LINK_LANGUAGE:C>:-fsanitize-link-c++-runtime;-lstdc++>")
  endif()
  # A sanitized shared library refers to the sanitizer runtime, which clang links into
  # executables only: --no-undefined would refuse it (gcc links it into the library).
  set(DIGITINFER_NO_UNDEFINED "")
  message(STATUS "DigitInfer: sanitizers ${_di_sanitize_list}")
endif()

# Exemptions, deferred to the end of the top-level directory, where the targets exist:
# - UBSan's vptr check reads the type_info of every polymorphic class it sees, and libtorch
#   does not export its own (c10::DynamicType's, for one): an instrumented libtorch plugin
#   would not load ("undefined symbol: _ZTIN3c1011DynamicTypeE"). The plugin is built without
#   that one check; every other UBSan check stays.
function(_digitinfer_sanitizer_exemptions)
  if("undefined" IN_LIST DIGITINFER_SANITIZE AND TARGET digitinfer_torch)
    target_compile_options(digitinfer_torch PRIVATE -fno-sanitize=vptr)
  endif()
endfunction()
if(DIGITINFER_SANITIZE)
  cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL _digitinfer_sanitizer_exemptions)
endif()
