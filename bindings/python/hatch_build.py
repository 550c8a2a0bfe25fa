"""Wheel build step: bundles the C library into the wheel when DIGITINFER_BUNDLE_LIBRARY names it.

    DIGITINFER_BUNDLE_LIBRARY=/usr/local/lib/libdigitinfer.so.1 pip wheel -w dist bindings/python

puts that file into the wheel as digitinfer/_bundled/libdigitinfer.so.1, which the package loads
when $DIGITINFER_LIBRARY is unset (digitinfer/_find.py), and, if it exists, the libtorch plugin the
library looks for next to itself (<libdir>/digitinfer/libdigitinfer_torch.so, or the file that
DIGITINFER_BUNDLE_TORCH_PLUGIN names; "" leaves it out) as digitinfer/_bundled/digitinfer/.
The plugin still needs libtorch where the dynamic loader finds it; the library needs its own
dependencies (libjpeg, libdeflate, zlib, libgomp) installed too: this is no manylinux wheel.
Such a wheel is tagged for this platform (py3-none-linux_x86_64): any Python 3, one platform.
Without the variable the wheel is pure Python (py3-none-any) and finds an installed library.
Everything is read in place: the build writes nothing into the source tree.
"""
import os
import sysconfig

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SONAME = "libdigitinfer.so.1"
PLUGIN = "digitinfer/libdigitinfer_torch.so"  # relative to the library's directory (src/torch/plugin_loader.cpp)


class BundleLibrary(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version, build_data):
        library = os.environ.get("DIGITINFER_BUNDLE_LIBRARY", "")
        if self.target_name != "wheel" or version == "editable" or not library:
            return
        if not os.path.isfile(library):
            raise RuntimeError(f"DIGITINFER_BUNDLE_LIBRARY={library}: no such file")
        # Resolved: a wheel holds no symlinks, and libdigitinfer.so.1 is usually one.
        build_data["force_include"][os.path.realpath(library)] = f"digitinfer/_bundled/{SONAME}"
        plugin = os.environ.get("DIGITINFER_BUNDLE_TORCH_PLUGIN")
        if plugin is None:
            plugin = os.path.join(os.path.dirname(library), PLUGIN)
            plugin = plugin if os.path.isfile(plugin) else ""
        elif plugin and not os.path.isfile(plugin):
            raise RuntimeError(f"DIGITINFER_BUNDLE_TORCH_PLUGIN={plugin}: no such file")
        if plugin:
            build_data["force_include"][os.path.realpath(plugin)] = f"digitinfer/_bundled/{PLUGIN}"
        build_data["pure_python"] = False
        build_data["tag"] = "py3-none-" + sysconfig.get_platform().replace("-", "_").replace(".", "_")
