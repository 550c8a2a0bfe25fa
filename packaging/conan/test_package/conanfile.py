# `conan create packaging/conan` builds this consumer against the new package and
# runs it: the packaged convnet.dimodel must say that examples/images/digit-7.png
# (in the repository, three levels up) is a 7; any other answer fails the create.
import os
import re
from io import StringIO

from conan import ConanFile
from conan.errors import ConanException
from conan.tools.build import can_run
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout


class DigitInferTestConan(ConanFile):
    settings = "os", "arch", "compiler", "build_type"
    generators = "VirtualRunEnv"
    test_type = "explicit"

    def requirements(self):
        self.requires(self.tested_reference_str)

    def layout(self):
        cmake_layout(self)

    def generate(self):
        tc = CMakeToolchain(self)
        tc.user_presets_path = False  # no CMakeUserPresets.json in the source tree
        tc.generate()
        CMakeDeps(self).generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def _image(self):
        image = os.environ.get("DIGITINFER_TEST_IMAGE") or os.path.normpath(
            os.path.join(self.source_folder, "..", "..", "..", "examples", "images", "digit-7.png"))
        if not os.path.isfile(image):
            raise ConanException(f"{image} not found: run from the DigitInfer repository, or set "
                                 "DIGITINFER_TEST_IMAGE to a picture of a 7")
        return image

    def _run_expect(self, command, pattern):
        output = StringIO()
        self.run(command, output, env="conanrun")
        self.output.info(output.getvalue().rstrip())
        if not re.search(pattern, output.getvalue(), re.MULTILINE):
            raise ConanException(f"'{command}' printed no line matching {pattern!r}")

    def test(self):
        if not can_run(self):
            return
        digitinfer = self.dependencies["digitinfer"]
        models = os.path.join(digitinfer.package_folder, "share", "digitinfer", "models")
        image = self._image()
        exe = os.path.join(self.cpp.build.bindir, "test_package")
        # The packaged model named on the command line, then the one DigitInfer_MODEL_DIR names.
        self.run(f'"{exe}" "{image}" 7 "{os.path.join(models, "convnet.dimodel")}"', env="conanrun")
        self.run(f'"{exe}" "{image}" 7', env="conanrun")
        if digitinfer.options.with_torch:  # TorchScript, through the packaged libtorch plugin
            self.run(f'"{exe}" "{image}" 7 "{os.path.join(models, "convnet.scripted.pt")}"', env="conanrun")
        if digitinfer.options.cli:  # the packaged CLI, on PATH, finds its packaged model by itself
            self._run_expect(f'DIGITINFER_MODEL= digitinfer predict "{image}"', r"digit-7\.png: ?7 \(p=")
