"""Finding the C library: $DIGITINFER_LIBRARY, the bundled copy, pkg-config's libdir, the loader's path.

Each case imports the package in a child process whose environment holds only what the case sets,
with copies of the library under test in temporary directories, so that which one was loaded
(digitinfer.library_path()) tells which rule found it.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import BINDINGS, DIGIT_7, DIMODEL, _lib

SONAME = _lib.SONAME
LIBRARY = Path(_lib.library_path)  # the real file of the library under test
NO_PKG_CONFIG = "digitinfer-test-no-pkg-config"  # a $PKG_CONFIG that does not exist: pkg-config is not asked


def run(code, package=BINDINGS, **env):
    """Runs `code` with only `env` (and PATH, HOME) set, importing digitinfer from `package`."""
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/"),
             "PYTHONPATH": str(package), "PYTHONDONTWRITEBYTECODE": "1", "DIGITINFER_CACHE_DIR": "off",
             "PKG_CONFIG": NO_PKG_CONFIG}
    clean.update({k: str(v) for k, v in env.items() if v is not None})
    for k in [k for k, v in env.items() if v is None]:
        clean.pop(k, None)
    return subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=120)


def loaded(package=BINDINGS, **env):
    """The library_path() a child loads, after it predicted digit-7.png with it."""
    result = run("import digitinfer\n"
                 f"assert digitinfer.Model({str(DIMODEL)!r}).predict({str(DIGIT_7)!r}).digit == 7\n"
                 "print(digitinfer.library_path())", package, **env)
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip())


def copy_library(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy2(LIBRARY, directory / SONAME)
    return (directory / SONAME).resolve()


def pkg_config_dir(tmp_path: Path, libdir: Path) -> Path:
    """A directory holding a digitinfer.pc whose libdir is `libdir`."""
    pc = tmp_path / "pkgconfig"
    pc.mkdir(parents=True, exist_ok=True)
    (pc / "digitinfer.pc").write_text(f"libdir={libdir}\n\nName: digitinfer\nDescription: test\nVersion: 1.0.0\n"
                                      f"Libs: -L${{libdir}} -ldigitinfer\n")
    return pc


def bundled_package(tmp_path: Path) -> Path:
    """A copy of the package with a library in digitinfer/_bundled/, as the wheel has it."""
    site = tmp_path / "site"
    shutil.copytree(BINDINGS / "digitinfer", site / "digitinfer", ignore=shutil.ignore_patterns("__pycache__"))
    copy_library(site / "digitinfer/_bundled")
    return site


def needs_pkg_config():
    return pytest.mark.skipif(not shutil.which("pkg-config"), reason="no pkg-config on PATH: apt-get install pkgconf")


def test_digitinfer_library_names_the_file(tmp_path):
    copy = copy_library(tmp_path / "explicit")
    assert loaded(DIGITINFER_LIBRARY=copy) == copy


def test_an_explicit_library_never_falls_back(tmp_path):
    # Another copy would be found by the loader's path, but the named one is what the user asked for.
    copy_library(tmp_path / "fallback")
    result = run("import digitinfer", DIGITINFER_LIBRARY=tmp_path / "missing" / SONAME,
                 LD_LIBRARY_PATH=tmp_path / "fallback")
    assert result.returncode != 0 and "ImportError" in result.stderr
    assert "$DIGITINFER_LIBRARY" in result.stderr and "missing" in result.stderr


def test_the_bundled_copy_comes_first(tmp_path):
    site = bundled_package(tmp_path)
    other = copy_library(tmp_path / "loader")
    path = loaded(site, LD_LIBRARY_PATH=other.parent)
    assert path == (site / "digitinfer/_bundled" / SONAME).resolve()


@needs_pkg_config()
def test_pkg_config_libdir_comes_before_the_loader_path(tmp_path):
    by_pkg_config = copy_library(tmp_path / "prefix/lib")
    by_loader = copy_library(tmp_path / "loader")
    pc = pkg_config_dir(tmp_path, by_pkg_config.parent)
    assert loaded(PKG_CONFIG=None, PKG_CONFIG_PATH=pc, LD_LIBRARY_PATH=by_loader.parent) == by_pkg_config
    assert loaded(PKG_CONFIG=None, PKG_CONFIG_PATH=pc) == by_pkg_config
    # A .pc whose libdir has no library: the next place is tried.
    empty = pkg_config_dir(tmp_path / "empty", tmp_path / "nothing-here")
    assert loaded(PKG_CONFIG=None, PKG_CONFIG_PATH=empty, LD_LIBRARY_PATH=by_loader.parent) == by_loader


@needs_pkg_config()
def test_the_bundled_copy_comes_before_pkg_config(tmp_path):
    site = bundled_package(tmp_path)
    by_pkg_config = copy_library(tmp_path / "prefix/lib")
    pc = pkg_config_dir(tmp_path, by_pkg_config.parent)
    assert loaded(site, PKG_CONFIG=None, PKG_CONFIG_PATH=pc) == (site / "digitinfer/_bundled" / SONAME).resolve()


def test_the_loader_path_finds_the_soname(tmp_path):
    copy = copy_library(tmp_path / "loader")
    assert loaded(LD_LIBRARY_PATH=copy.parent) == copy


def test_nothing_found_says_where_it_looked():
    probe = run(f"import ctypes; ctypes.CDLL({SONAME!r})", PYTHONPATH=None)
    if probe.returncode == 0:
        pytest.skip(f"{SONAME} is installed where the dynamic loader finds it: it cannot be made absent here")
    result = run("import digitinfer")
    assert result.returncode != 0 and "ImportError" in result.stderr
    for words in ("the dynamic loader's path", "DIGITINFER_LIBRARY", "PKG_CONFIG_PATH", "wheel"):
        assert words in result.stderr


# --- the library found must be a DigitInfer of this ABI -----------------------------------------

def test_a_library_with_another_abi_is_refused():
    class OtherAbi:
        _name = "libdigitinfer.so.2"
        di_abi_version = staticmethod(lambda: 2)
        di_version = staticmethod(lambda: b"2.0.0")

    with pytest.raises(ImportError, match="ABI version 2 .* written for ABI version 1"):
        _lib._bind(OtherAbi())


@pytest.mark.parametrize("library, message", [("/nonexistent/libdigitinfer.so.1", "cannot load"),
                                              ("libc.so.6", "not a DigitInfer library")])
def test_import_fails_clearly_without_a_digitinfer_library(library, message):
    result = run("import digitinfer", DIGITINFER_LIBRARY=library)
    assert result.returncode != 0
    assert "ImportError" in result.stderr and message in result.stderr
