# Conan 2 recipe for DigitInfer (packaging/conan/README.md).
#
#   conan create packaging/conan                                   # dependencies from ConanCenter
#   conan create packaging/conan -pr:a packaging/conan/profiles/debian12 -nr   # offline, Debian 12's packages
#
# The recipe lives two levels below the repository root: export_sources() copies
# the part of the tree the build needs from there, and set_version() reads the
# version from include/digitinfer/version.h, the one place it is written.
import os
import re

from conan import ConanFile
from conan.errors import ConanException, ConanInvalidConfiguration
from conan.tools.build import check_min_cppstd, stdcpp_library
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout
from conan.tools.files import copy, load, rmdir, save
from conan.tools.gnu import PkgConfigDeps

required_conan_version = ">=2.0.5"  # [platform_requires] in profiles

# The repository root, seen from this file (only while exporting: afterwards the
# sources are in the cache, see export_sources()).
_REPO_ROOT = os.path.join("..", "..")

# What the build needs from the repository (CMakeLists.txt includes
# packaging/cpack.cmake, which names files in packaging/deb). Not: tests/,
# bench/, bindings/, docs/, tools/, the example programs other than the CLI.
_SOURCES = (
    "CMakeLists.txt",
    "LICENSE",
    "cmake/*",
    "include/*",
    "src/*",
    "capi/*",
    "examples/cli/*",
    "examples/common/*",
    "models/convnet.dimodel",
    "models/convnet.scripted.pt",
    "models/convnet.traced.pt",
    "packaging/cpack.cmake",
    "packaging/deb/*",
)

# Libraries libdigitinfer.a needs from each dependency, for a dependency the
# profile declares in [platform_requires] (which gives Conan no cpp_info to link).
_SYSTEM_LIBS_OF_PLATFORM_REQUIRES = {
    "libjpeg-turbo": ["jpeg"],
    "libdeflate": ["deflate"],
    "zlib": ["z"],
    "protobuf": ["protobuf-lite"],
}


class DigitInferConan(ConanFile):
    name = "digitinfer"
    description = "Handwritten-digit inference, image bytes to digit, behind a stable C ABI"
    license = "MIT"
    homepage = "https://github.com/digitinfer/digitinfer"
    url = "https://github.com/digitinfer/digitinfer"
    topics = ("mnist", "inference", "neural-network", "image-decoding", "c-api")
    package_type = "library"
    settings = "os", "arch", "compiler", "build_type"
    options = {
        "shared": [True, False],
        "fPIC": [True, False],
        # The libtorch plugin (TorchScript models). ConanCenter has no libtorch: True
        # takes it from the system (Debian 12: apt-get install libtorch-dev), found by
        # CMake's find_package(Torch), and needs shared=True (the plugin is loaded
        # from beside libdigitinfer.so).
        "with_torch": [True, False],
        # The `digitinfer` command-line tool (bin/digitinfer).
        "cli": [True, False],
    }
    default_options = {
        "shared": False,
        "fPIC": True,
        "with_torch": False,
        "cli": False,
    }

    def set_version(self):
        header = os.path.join(self.recipe_folder, _REPO_ROOT, "include", "digitinfer", "version.h")
        if not os.path.isfile(header):
            raise ConanException(f"{header} not found: this recipe must stay in packaging/conan/ of the "
                                 "DigitInfer repository (or pass --version)")
        match = re.search(r'^#define DI_VERSION_STRING "([0-9]+\.[0-9]+\.[0-9]+)"', load(self, header),
                          re.MULTILINE)
        if not match:
            raise ConanException(f"{header}: no DI_VERSION_STRING")
        self.version = match.group(1)

    def export_sources(self):
        root = os.path.join(self.recipe_folder, _REPO_ROOT)
        for pattern in _SOURCES:
            copy(self, pattern, src=root, dst=self.export_sources_folder)

    def config_options(self):
        if self.settings.os == "Windows":
            self.options.rm_safe("fPIC")

    def configure(self):
        if self.options.shared:
            self.options.rm_safe("fPIC")

    def layout(self):
        # Local flow (conan install/build packaging/conan): the project is the repository root,
        # built in build-conan/<build_type> there (or under --output-folder). In the cache the
        # exported sources are the root and this has no effect.
        self.folders.root = _REPO_ROOT
        cmake_layout(self, src_folder=".", build_folder="build-conan")

    def requirements(self):
        # All private to the library: its public headers include none of them.
        self.requires("libjpeg-turbo/[>=2.1 <4]")   # the libjpeg API (pkg-config: libjpeg)
        self.requires("libdeflate/[>=1.14 <2]")     # PNG, whole streams (pkg-config: libdeflate)
        self.requires("zlib/[>=1.2.11 <2]")         # PNG, streamed
        self.requires("nlohmann_json/[>=3.9 <4]")   # model metadata (header-only)
        self.requires("protobuf/[>=3.21 <6]")       # ONNX models (protobuf-lite)
        # stb_image (header-only) for BMP and PNM: the snapshot the decoders' fix-ups
        # were written against (Debian 12's libstb-dev is the same, git 20220908).
        self.requires("stb/cci.20220909")
        if self.options.cli:
            self.requires("cli11/[>=2.1 <3]")

    def build_requirements(self):
        self.tool_requires("protobuf/<host_version>")  # protoc, for src/onnx/onnx.proto

    def validate(self):
        if self.settings.os != "Linux":
            raise ConanInvalidConfiguration(f"{self.ref} is built and tested on Linux only "
                                            "(docs/portability.md)")
        if self.settings.compiler not in ("gcc", "clang"):
            raise ConanInvalidConfiguration(f"{self.ref} needs GCC or Clang (GNU attributes, a linker "
                                            "version script, OpenMP)")
        check_min_cppstd(self, 17)
        if self.options.with_torch and not self.options.shared:
            raise ConanInvalidConfiguration(
                f"{self.ref}: with_torch=True needs shared=True: the libtorch plugin is loaded from "
                "beside libdigitinfer.so; a static libdigitinfer runs .dimodel models")

    def generate(self):
        tc = CMakeToolchain(self)
        # BUILD_SHARED_LIBS and CMAKE_POSITION_INDEPENDENT_CODE come from the options.
        tc.cache_variables["DIGITINFER_WITH_TORCH"] = bool(self.options.with_torch)
        tc.cache_variables["DIGITINFER_BUILD_CLI"] = bool(self.options.cli)
        tc.cache_variables["DIGITINFER_BUILD_SERVER"] = False
        tc.cache_variables["DIGITINFER_BUILD_EXAMPLES"] = False
        tc.cache_variables["DIGITINFER_BUILD_TESTS"] = False
        tc.cache_variables["DIGITINFER_BUILD_BENCHMARKS"] = False
        tc.cache_variables["DIGITINFER_BUILD_FUZZERS"] = False
        # The API reference target needs docs/, which is not exported.
        tc.cache_variables["CMAKE_DISABLE_FIND_PACKAGE_Doxygen"] = True
        self._stb_include_shim(tc)
        tc.user_presets_path = False  # no CMakeUserPresets.json written into the source tree
        tc.generate()
        # find_package(nlohmann_json / ZLIB / CLI11): CMake config files. libjpeg and
        # libdeflate are found with pkg_check_modules: .pc files, which the toolchain
        # puts on PKG_CONFIG_PATH. Neither generator writes anything for a
        # [platform_requires] dependency: CMake then finds the system's.
        CMakeDeps(self).generate()
        PkgConfigDeps(self).generate()

    def _stb_include_shim(self, tc):
        """src/image/stb.cpp includes <stb/stb_image.h> (Debian's layout); ConanCenter's
        stb package has include/stb_image.h. Give the build an stb/stb_image.h that
        includes that one. Nothing to do for a [platform_requires] stb (the system's)."""
        stb = next((dep for req, dep in self.dependencies.host.items() if req.ref.name == "stb"), None)
        if stb is None:  # a [platform_requires] (dependencies.host leaves those out)
            return
        for include_dir in stb.cpp_info.includedirs:
            if os.path.isfile(os.path.join(include_dir, "stb", "stb_image.h")):
                return
            header = os.path.join(include_dir, "stb_image.h")
            if os.path.isfile(header):
                shim = os.path.join(self.generators_folder, "stb_shim")
                save(self, os.path.join(shim, "stb", "stb_image.h"),
                     f'#include "{header.replace(os.sep, "/")}"\n')
                tc.cache_variables["CMAKE_CXX_STANDARD_INCLUDE_DIRECTORIES"] = shim.replace(os.sep, "/")
                return
        raise ConanException(f"stb_image.h not found in {stb.ref}'s include directories")

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def package(self):
        copy(self, "LICENSE", src=self.source_folder, dst=os.path.join(self.package_folder, "licenses"))
        cmake = CMake(self)
        cmake.install()
        # Conan writes its own CMake config and .pc files (package_info); the license is in licenses/.
        rmdir(self, os.path.join(self.package_folder, "lib", "cmake"))
        rmdir(self, os.path.join(self.package_folder, "lib", "pkgconfig"))
        rmdir(self, os.path.join(self.package_folder, "share", "doc"))
        # What the project's DigitInferConfig.cmake sets beside the target, relative to
        # this file wherever the package is: included by CMakeDeps' DigitInferConfig.cmake.
        save(self, os.path.join(self.package_folder, self._cmake_variables_module),
             "# Set by find_package(DigitInfer), as the project's own DigitInferConfig.cmake does.\n"
             'get_filename_component(_digitinfer_prefix "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)\n'
             "# The installed models (convnet.dimodel; with the torch plugin also convnet.scripted.pt, .traced.pt).\n"
             'set(DigitInfer_MODEL_DIR "${_digitinfer_prefix}/share/digitinfer/models")\n'
             f"set(DigitInfer_WITH_TORCH {'ON' if self.options.with_torch else 'OFF'})\n"
             f"set(DigitInfer_STATIC {'OFF' if self.options.shared else 'ON'})\n"
             "unset(_digitinfer_prefix)\n")

    @property
    def _cmake_variables_module(self):
        return os.path.join("lib", "cmake", "conan-digitinfer-variables.cmake")

    def package_info(self):
        # find_package(DigitInfer) / DigitInfer::digitinfer / pkg-config digitinfer, as installed by CMake.
        self.cpp_info.set_property("cmake_file_name", "DigitInfer")
        self.cpp_info.set_property("cmake_target_name", "DigitInfer::digitinfer")
        self.cpp_info.set_property("cmake_build_modules", [self._cmake_variables_module])
        self.cpp_info.set_property("pkg_config_name", "digitinfer")
        self.cpp_info.set_property("pkg_config_custom_content",
                                   {"modeldir": "${prefix}/share/digitinfer/models"})
        self.cpp_info.libs = ["digitinfer"]
        self.cpp_info.resdirs = ["share"]  # share/digitinfer/models
        self.cpp_info.bindirs = ["bin"] if self.options.cli else []
        if not self.options.shared:
            # libdigitinfer.a holds C++ objects compiled with OpenMP: what the project's
            # digitinfer.pc says in Libs.private (-fopenmp -ldl -lstdc++ -lm). Its
            # dependencies' libraries come from their packages through the requires.
            # ... except from a [platform_requires] dependency, which has no package: the
            # system's library, linked by name.
            for req, dep in self.dependencies.items():
                if req.direct and not req.build and dep.package_folder is None:
                    self.cpp_info.system_libs.extend(_SYSTEM_LIBS_OF_PLATFORM_REQUIRES.get(dep.ref.name, []))
            self.cpp_info.system_libs.extend(["dl", "m", "pthread"])
            libcxx = stdcpp_library(self)
            if libcxx:
                self.cpp_info.system_libs.append(libcxx)
            self.cpp_info.sharedlinkflags = ["-fopenmp"]
            self.cpp_info.exelinkflags = ["-fopenmp"]
