# CPack: the Debian packages, one per group of install components (docs/packaging.md).
#
#   packaging/deb/build_packages.sh BUILD_DIR OUT_DIR   # configure for /usr, build, cpack, lintian
#   cpack -G DEB --config BUILD_DIR/CPackConfig.cmake   # on a build configured with CMAKE_INSTALL_PREFIX=/usr
#
#   package               components             holds
#   libdigitinfer1        runtime, models        libdigitinfer.so.1, convnet.dimodel (no libtorch)
#   libdigitinfer-dev     development            headers, CMake package, pkg-config, the .so link
#   libdigitinfer-torch1  torch_plugin           lib/<multiarch>/digitinfer/libdigitinfer_torch.so, the .pt models
#   digitinfer-tools      cli                    bin/digitinfer
#   digitinfer-server     server                 bin/digitinfer-server, its systemd unit (not enabled)
#
# Not packaged: the `license` component (each package has a Debian copyright file
# instead, made from LICENSE by packaging/deb/stage.cmake, which also adds the
# changelogs and moves the .pt models, installed with `models`, to the torch package).
if(NOT PROJECT_IS_TOP_LEVEL)
  return()  # a parent project that adds DigitInfer with add_subdirectory does its own packaging
endif()

# ---------------------------------------------------------------- files only packages need
# The server's systemd unit (also in a plain `cmake --install`: PREFIX/lib/systemd/system,
# which systemd reads for /usr and /usr/local).
if(TARGET digitinfer_server)
  set(DIGITINFER_SERVER_MODEL_DIR ${CMAKE_INSTALL_FULL_DATADIR}/digitinfer/models)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/deb/digitinfer-server.service.in
    ${PROJECT_BINARY_DIR}/packaging/digitinfer-server.service @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/packaging/digitinfer-server.service
    DESTINATION lib/systemd/system COMPONENT server)
endif()

# Manual pages of the two programs, from their --help (help2man, run on the
# build tree's binaries: not when cross-compiling).
find_program(DIGITINFER_HELP2MAN help2man)
if(DIGITINFER_HELP2MAN AND NOT CMAKE_CROSSCOMPILING)
  set(_di_man_pages)
  foreach(_entry "digitinfer_cli|cli|handwritten-digit classification of image files"
                 "digitinfer_server|server|handwritten-digit models over HTTP")
    string(REPLACE "|" ";" _entry "${_entry}")
    list(GET _entry 0 _target)
    list(GET _entry 1 _component)
    list(GET _entry 2 _summary)
    if(NOT TARGET ${_target})
      continue()
    endif()
    get_target_property(_name ${_target} OUTPUT_NAME)
    set(_page ${PROJECT_BINARY_DIR}/packaging/${_name}.1.gz)
    # gzip -9n: no name or time stamp in the header (reproducible; lintian wants -9).
    add_custom_command(OUTPUT ${_page}
      COMMAND sh -c "\"$1\" --no-info --no-discard-stderr --name=\"$2\" --version-string=\"$3\" \
--source=\"DigitInfer $3\" --manual='User Commands' \"$4\" | gzip -9n > \"$5\""
        sh ${DIGITINFER_HELP2MAN} ${_summary} ${PROJECT_VERSION} $<TARGET_FILE:${_target}> ${_page}
      DEPENDS ${_target} VERBATIM COMMENT "help2man: ${_name}.1")
    list(APPEND _di_man_pages ${_page})
    install(FILES ${_page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT ${_component})
  endforeach()
  if(_di_man_pages)
    add_custom_target(digitinfer_man_pages ALL DEPENDS ${_di_man_pages})
  endif()
endif()

# ---------------------------------------------------------------- CPack
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME digitinfer)
set(CPACK_PACKAGE_VENDOR "The DigitInfer authors")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_HOMEPAGE_URL ${PROJECT_HOMEPAGE_URL})
# Equal to CPack's default summary, which CPackDeb then does not prepend to
# every package's own description (each begins with its own synopsis line).
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${CMAKE_PROJECT_NAME} built using CMake")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})  # stage.cmake insists on /usr
# Not CPACK_STRIP_FILES: stage.cmake strips as dh_strip does (also .comment and .note).
set(CPACK_STRIP_FILES OFF)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ONE_PER_GROUP)

set(DIGITINFER_DEB_MAINTAINER "The DigitInfer authors <digitinfer@example.org>" CACHE STRING
  "Maintainer field of the Debian packages")
set(DIGITINFER_DEB_REVISION 1 CACHE STRING "Debian revision of the packages (VERSION-REVISION)")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${DIGITINFER_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_RELEASE ${DIGITINFER_DEB_REVISION})
set(CPACK_DEBIAN_PACKAGE_SOURCE digitinfer)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)              # NAME_VERSION-REVISION_ARCH.deb
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)               # Depends on system libraries from dpkg-shlibdeps
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)         # DEBIAN/shlibs for libdigitinfer1
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# dpkg-shlibdeps must find libdigitinfer.so.1, which the programs and the plugin
# need, in libdigitinfer1's staging directory (it runs in the package's own,
# a sibling). No package on this system owns it, so the dependency on it is
# written out below (what its shlibs file says: >= this version).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ../lib${CPACK_PACKAGING_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR})
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_CURRENT_LIST_DIR}/deb/stage.cmake)
set(CPACK_POST_BUILD_SCRIPTS ${CMAKE_CURRENT_LIST_DIR}/deb/finish.cmake)
# For stage.cmake: the sources of the copyright file and the changelog, and where the docs go.
set(CPACK_DIGITINFER_SOURCE_DIR ${PROJECT_SOURCE_DIR})
set(CPACK_DIGITINFER_DEB_DIR ${CMAKE_CURRENT_LIST_DIR}/deb)
set(CPACK_DIGITINFER_DATADIR ${CMAKE_INSTALL_DATADIR})

set(_di_version ${PROJECT_VERSION}-${DIGITINFER_DEB_REVISION})
set(_di_lib "libdigitinfer${DIGITINFER_ABI_VERSION}")

# Groups are packages. Descriptions: the synopsis, then the long description.
set(CPACK_DEBIAN_LIB_PACKAGE_NAME ${_di_lib})
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
# The ldconfig trigger (finish.cmake removes the postinst and postrm CPack adds,
# which run ldconfig themselves).
set(CPACK_DEBIAN_LIB_PACKAGE_CONTROL_EXTRA ${CMAKE_CURRENT_LIST_DIR}/deb/control/triggers)
set(CPACK_DEBIAN_LIB_PACKAGE_SUGGESTS "libdigitinfer-torch${DIGITINFER_ABI_VERSION}")
set(CPACK_DEBIAN_LIB_DESCRIPTION "handwritten-digit inference library (C ABI)
DigitInfer classifies handwritten digits: image file bytes (PNG, JPEG, BMP,
GIF, PGM/PPM, TGA) in, digit and probabilities out, behind a stable C ABI
with a header-only C++ API.

This package contains the shared library and the bundled model, compiled
to the .dimodel format, which its native engine runs without libtorch.
TorchScript models need libdigitinfer-torch${DIGITINFER_ABI_VERSION}.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libdigitinfer-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "${_di_lib} (= ${_di_version})")
set(CPACK_DEBIAN_DEV_DESCRIPTION "handwritten-digit inference library (development files)
DigitInfer classifies handwritten digits: image file bytes in, digit and
probabilities out, behind a stable C ABI with a header-only C++ API.

This package contains the C and C++ headers, the CMake package
(find_package(DigitInfer), which also sets DigitInfer_MODEL_DIR) and the
pkg-config file.")

set(CPACK_DEBIAN_TORCH_PACKAGE_NAME libdigitinfer-torch${DIGITINFER_ABI_VERSION})
set(CPACK_DEBIAN_TORCH_PACKAGE_SECTION libs)
# The plugin's interface to the library is private: the exact version.
set(CPACK_DEBIAN_TORCH_PACKAGE_DEPENDS "${_di_lib} (= ${_di_version})")
set(CPACK_DEBIAN_TORCH_PACKAGE_ENHANCES ${_di_lib})
set(CPACK_DEBIAN_TORCH_DESCRIPTION "handwritten-digit inference library (TorchScript plugin)
DigitInfer classifies handwritten digits: image file bytes in, digit and
probabilities out, behind a stable C ABI with a header-only C++ API.

This package contains the plugin that lets libdigitinfer load TorchScript
(.pt) models through libtorch, and the bundled model as TorchScript. The
library loads the plugin only when a program opens a TorchScript file.")

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME digitinfer-tools)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION science)
set(CPACK_DEBIAN_TOOLS_PACKAGE_DEPENDS "${_di_lib} (>= ${PROJECT_VERSION})")
set(CPACK_DEBIAN_TOOLS_DESCRIPTION "handwritten-digit inference (command-line tool)
DigitInfer classifies handwritten digits: image file bytes in, digit and
probabilities out.

This package contains the digitinfer command: predict (classify image
files), eval (accuracy and speed on MNIST), info (describe a model),
preprocess (write the image the model sees) and compile (a TorchScript
model to the .dimodel format).")

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME digitinfer-server)
set(CPACK_DEBIAN_SERVER_PACKAGE_SECTION science)
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "${_di_lib} (>= ${PROJECT_VERSION})")
set(CPACK_DEBIAN_SERVER_DESCRIPTION "handwritten-digit inference (HTTP model server)
DigitInfer classifies handwritten digits: image file bytes in, digit and
probabilities out.

This package contains digitinfer-server, which serves models over HTTP:
the TorchServe inference, management and metrics APIs, the Open Inference
Protocol v2 and a drawing page. Its systemd unit, digitinfer-server.service,
is installed but neither enabled nor started.")

# The components packaged (not `license`), each into its group.
get_cmake_property(_di_components COMPONENTS)
set(CPACK_COMPONENTS_ALL)
foreach(_entry runtime=lib models=lib development=dev torch_plugin=torch cli=tools server=server)
  string(REPLACE "=" ";" _entry ${_entry})
  list(GET _entry 0 _component)
  if(_component IN_LIST _di_components)
    list(APPEND CPACK_COMPONENTS_ALL ${_component})
  endif()
endforeach()

include(CPack)

foreach(_entry runtime=lib models=lib development=dev torch_plugin=torch cli=tools server=server)
  string(REPLACE "=" ";" _entry ${_entry})
  list(GET _entry 0 _component)
  list(GET _entry 1 _group)
  if(_component IN_LIST CPACK_COMPONENTS_ALL)
    cpack_add_component(${_component} GROUP ${_group})
  endif()
endforeach()
foreach(_group lib dev torch tools server)
  cpack_add_component_group(${_group})
endforeach()
