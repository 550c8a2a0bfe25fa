"""Where the C library is: the places a user expects, in the order they expect.

1. $DIGITINFER_LIBRARY, a path (alone: an explicit choice never falls back to another copy);
2. the copy bundled into a wheel (digitinfer/_bundled/, see hatch_build.py);
3. the libdir of an installed prefix, as `pkg-config --variable=libdir digitinfer` says;
4. the dynamic loader's own search (LD_LIBRARY_PATH, ld.so.cache, /usr/lib...): the SONAME;
5. whatever ctypes.util.find_library knows (ldconfig, gcc) under another name.
"""
import ctypes.util
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, List, Optional, Tuple

ABI_VERSION = 1  # the C ABI these bindings were written against (DI_ABI_VERSION, the SONAME number)
SONAME = f"libdigitinfer.so.{ABI_VERSION}"
BUNDLED_DIR = Path(__file__).resolve().parent / "_bundled"
ENV_LIBRARY = "DIGITINFER_LIBRARY"


def pkg_config_libdir() -> Optional[str]:
    """The libdir of the `digitinfer` pkg-config package, or None without pkg-config or the package."""
    tool = os.environ.get("PKG_CONFIG") or "pkg-config"
    if not shutil.which(tool):
        return None
    try:
        done = subprocess.run([tool, "--variable=libdir", "digitinfer"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    libdir = done.stdout.strip()
    return libdir if done.returncode == 0 and libdir else None


def candidates() -> List[Tuple[str, str]]:
    """(where it comes from, name or path for dlopen), in the order to try them."""
    explicit = os.environ.get(ENV_LIBRARY)
    if explicit:
        return [(f"${ENV_LIBRARY}", explicit)]
    found = []
    bundled = BUNDLED_DIR / SONAME
    if bundled.exists():
        found.append(("the copy bundled into this package", str(bundled)))
    libdir = pkg_config_libdir()
    if libdir:
        found.append(("pkg-config's libdir", os.path.join(libdir, SONAME)))
    found.append(("the dynamic loader's path", SONAME))
    other = ctypes.util.find_library("digitinfer")
    if other and other != SONAME:
        found.append(("ctypes.util.find_library", other))
    return found


class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def loaded_path(function: Any) -> str:
    """The file the dynamic loader took a C function from (dladdr), whatever name it was opened by."""
    try:
        dladdr = ctypes.CDLL(None).dladdr
    except AttributeError:  # not glibc/musl-like: say what we know
        return ""
    dladdr.argtypes, dladdr.restype = [ctypes.c_void_p, ctypes.POINTER(_DlInfo)], ctypes.c_int
    info = _DlInfo()
    if not dladdr(ctypes.cast(function, ctypes.c_void_p), ctypes.byref(info)) or not info.dli_fname:
        return ""
    return os.path.realpath(os.fsdecode(info.dli_fname))
