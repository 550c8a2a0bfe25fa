# Writes a copy of the public headers with one deliberate change to di_load_options,
# for the check that the ABI gate catches a break (tests/abi/CMakeLists.txt):
#   inserted  a field inserted mid-struct (every later field moves): must FAIL the gate
#   appended  a field appended to the versioned struct: passes behind pointers, fails for
#             di_load_options_default(), which returns the struct by value
# cmake -DIN=<include dir> -DOUT=<dir> -DVARIANT=inserted|appended -P make_variant_header.cmake
file(READ ${IN}/digitinfer/digitinfer.h header)
string(FIND "${header}" "typedef struct di_load_options {" start)
if(start EQUAL -1)
  message(FATAL_ERROR "make_variant_header: di_load_options is no longer in digitinfer.h: update this script")
endif()
string(SUBSTRING "${header}" 0 ${start} before)
string(SUBSTRING "${header}" ${start} -1 rest)
if(VARIANT STREQUAL "inserted")
  set(anchor "    int32_t num_threads;")  # the struct's second field
  set(replacement "    int32_t abi_probe;\n    int32_t num_threads;")
elseif(VARIANT STREQUAL "appended")
  set(anchor "} di_load_options;")
  set(replacement "    uint64_t abi_probe;\n} di_load_options;")
else()
  message(FATAL_ERROR "VARIANT must be inserted or appended, not '${VARIANT}'")
endif()
string(FIND "${rest}" "${anchor}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "make_variant_header: '${anchor}' is no longer in di_load_options: update this script")
endif()
string(SUBSTRING "${rest}" 0 ${at} head)
string(LENGTH "${anchor}" anchor_length)
math(EXPR tail_start "${at} + ${anchor_length}")
string(SUBSTRING "${rest}" ${tail_start} -1 tail)
set(header "${before}${head}${replacement}${tail}")
file(COPY ${IN}/digitinfer/version.h ${IN}/digitinfer/digitinfer.hpp DESTINATION ${OUT}/digitinfer)
file(WRITE ${OUT}/digitinfer/digitinfer.h "${header}")
