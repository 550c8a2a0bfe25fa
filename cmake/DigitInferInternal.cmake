# digitinfer_internal_library(<name> <sources>...): one static library per
# subsystem of src/ (image, format, engine, core). Position-independent, so that
# the shared library and the torch plugin can link it; hidden visibility, so
# that nothing but the C API leaves them. Consumers include "room/file.hpp"
# from src/ and the public headers.
function(digitinfer_internal_library name)
  add_library(${name} STATIC ${ARGN})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/include)
  target_compile_features(${name} PUBLIC cxx_std_17)
  target_compile_options(${name} PRIVATE -Wall -Wextra)
  set_target_properties(${name} PROPERTIES
    POSITION_INDEPENDENT_CODE ON
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
endfunction()

# The target architecture's SIMD family, for the kernels and decoders that have
# hand-vectorized paths: x86_64 (SSE2 baseline, AVX2/AVX-512 picked at run
# time) or none (portable scalar code, e.g. aarch64).
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(DIGITINFER_X86_64 ON)
else()
  set(DIGITINFER_X86_64 OFF)
endif()
