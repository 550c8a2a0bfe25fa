# vcpkg overlay port of DigitInfer (packaging/vcpkg/README.md):
#
#   vcpkg install digitinfer --overlay-ports=packaging/vcpkg/ports [--no-binarycaching]
#   vcpkg install "digitinfer[tools]" --overlay-ports=packaging/vcpkg/ports
#
# The sources are the repository this port sits in (four levels up), not a
# download: vcpkg's ABI hash covers the port's files only, so a rebuild after a
# change to the sources needs --no-binarycaching (or `vcpkg remove digitinfer`
# first). For a registry, replace the SOURCE_PATH block with a pinned download:
#
#   vcpkg_from_git(OUT_SOURCE_PATH SOURCE_PATH
#       URL https://github.com/digitinfer/digitinfer.git
#       REF <the 40-hex commit of tag v${VERSION}>)
get_filename_component(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../../../.." ABSOLUTE)
if(NOT EXISTS "${SOURCE_PATH}/include/digitinfer/version.h")
    message(FATAL_ERROR "${SOURCE_PATH} is not the DigitInfer repository: this overlay port builds the "
                        "repository it is in (packaging/vcpkg/ports/digitinfer)")
endif()

# vcpkg.json's version must be the one the sources declare (include/digitinfer/version.h).
file(STRINGS "${SOURCE_PATH}/include/digitinfer/version.h" version_line REGEX "^#define DI_VERSION_STRING ")
string(REGEX REPLACE "^#define DI_VERSION_STRING \"([0-9.]+)\".*" "\\1" source_version "${version_line}")
if(NOT source_version STREQUAL VERSION)
    message(FATAL_ERROR "packaging/vcpkg/ports/digitinfer/vcpkg.json has version ${VERSION}, "
                        "include/digitinfer/version.h has ${source_version}: update vcpkg.json")
endif()

# The libtorch plugin is loaded from beside libdigitinfer.so: a static library cannot have it.
if("torch" IN_LIST FEATURES)
    vcpkg_check_linkage(ONLY_DYNAMIC_LIBRARY)
endif()

vcpkg_check_features(OUT_FEATURE_OPTIONS FEATURE_OPTIONS
    FEATURES
        tools DIGITINFER_BUILD_CLI
        torch DIGITINFER_WITH_TORCH
)

# libjpeg and libdeflate are found with pkg_check_modules (their .pc files in the
# installed tree, on CMAKE_PREFIX_PATH).
vcpkg_find_acquire_program(PKGCONFIG)

# src/image/stb.cpp includes <stb/stb_image.h> (Debian's layout); the stb port
# installs include/stb_image.h. An stb/stb_image.h that includes that one:
set(stb_shim "${CURRENT_BUILDTREES_DIR}/stb-shim")
file(WRITE "${stb_shim}/stb/stb_image.h" "#include \"${CURRENT_INSTALLED_DIR}/include/stb_image.h\"\n")

vcpkg_cmake_configure(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        ${FEATURE_OPTIONS}
        "-DPKG_CONFIG_EXECUTABLE=${PKGCONFIG}"
        "-DCMAKE_CXX_STANDARD_INCLUDE_DIRECTORIES=${stb_shim}"
        -DDIGITINFER_BUILD_SERVER=OFF
        -DDIGITINFER_BUILD_EXAMPLES=OFF
        -DDIGITINFER_BUILD_TESTS=OFF
        -DDIGITINFER_BUILD_BENCHMARKS=OFF
        -DDIGITINFER_BUILD_FUZZERS=OFF
        -DCMAKE_DISABLE_FIND_PACKAGE_Doxygen=ON  # the API reference is not installed
        -DDIGITINFER_HELP2MAN=OFF                # nor the man pages (help2man runs the built CLI)
    MAYBE_UNUSED_VARIABLES
        DIGITINFER_HELP2MAN
)
vcpkg_cmake_install()

# lib/cmake/DigitInfer -> share/DigitInfer (DigitInfer_MODEL_DIR stays relative to it), debug targets merged.
vcpkg_cmake_config_fixup(PACKAGE_NAME DigitInfer CONFIG_PATH lib/cmake/DigitInfer)
vcpkg_fixup_pkgconfig()

if("tools" IN_LIST FEATURES)
    # bin/digitinfer -> tools/digitinfer/digitinfer (vcpkg fixes its RPATH). It finds its model
    # beside itself only in a <prefix>/bin layout: pass --model, or set DIGITINFER_MODEL (usage).
    vcpkg_copy_tools(TOOL_NAMES digitinfer AUTO_CLEAN)
endif()

# The models (share/digitinfer/models) and the headers once, from the release build.
file(REMOVE_RECURSE
    "${CURRENT_PACKAGES_DIR}/debug/include"
    "${CURRENT_PACKAGES_DIR}/debug/share"
    "${CURRENT_PACKAGES_DIR}/share/doc")  # LICENSE, installed again as the copyright file
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
