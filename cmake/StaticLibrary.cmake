# BUILD_SHARED_LIBS=OFF: libdigitinfer.a holds the objects of the internal
# libraries (src/*), so that users link one archive, and carries the link needs
# those objects have (the decoders, protobuf-lite for ONNX, OpenMP, libdl) in its installed interface.
# DigitInferConfig.cmake finds the same dependencies for the consumer, and
# digitinfer.pc lists them under Requires.private / Libs.private.
find_package(OpenMP REQUIRED COMPONENTS CXX)  # its flags, for digitinfer.pc
set(_di_internal digitinfer_core digitinfer_image digitinfer_format digitinfer_onnx digitinfer_engine)
foreach(_lib IN LISTS _di_internal)
  target_sources(digitinfer PRIVATE $<TARGET_OBJECTS:${_lib}>)
endforeach()
# In the build tree the internal targets bring their own usage requirements; the
# objects above make them redundant at link time but harmless (same members).
target_link_libraries(digitinfer PRIVATE $<BUILD_INTERFACE:digitinfer_core>)
target_link_libraries(digitinfer INTERFACE
  $<INSTALL_INTERFACE:PkgConfig::DigitInfer_LIBJPEG>
  $<INSTALL_INTERFACE:PkgConfig::DigitInfer_LIBDEFLATE>
  $<INSTALL_INTERFACE:ZLIB::ZLIB>
  $<INSTALL_INTERFACE:protobuf::libprotobuf-lite>
  $<INSTALL_INTERFACE:OpenMP::OpenMP_CXX>
  $<INSTALL_INTERFACE:${CMAKE_DL_LIBS}>)
set(DIGITINFER_PC_REQUIRES_PRIVATE "libjpeg libdeflate zlib protobuf-lite")
set(DIGITINFER_PC_LIBS_PRIVATE "${OpenMP_CXX_FLAGS} -l${CMAKE_DL_LIBS} -lstdc++ -lm")
