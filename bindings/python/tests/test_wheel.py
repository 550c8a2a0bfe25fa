"""The package as a user installs it: wheels and an sdist built from the checkout, each installed into a
fresh virtual environment (/usr/bin/python3 -m venv, without system site packages) and run with a clean
environment from outside the source tree.

- the wheel that bundles the library under test (DIGITINFER_BUNDLE_LIBRARY) predicts digit-7.png with
  nothing set: no DIGITINFER_LIBRARY, no LD_LIBRARY_PATH, no PKG_CONFIG_PATH;
- `pip install ./bindings/python` (pure Python) and the sdist find an installed library through
  pkg-config;
- building and installing leave the source tree as it was (git status, ignored files included).

Needs numpy, hatchling and build from PyPI (or pip's cache: PIP_CACHE_DIR). Marked `venv`: deselect
with -m "not venv"; skipped, saying why, only where a virtual environment cannot be created.
"""
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from support import BINDINGS, DIGIT_7, DIMODEL, ROOT, SCRIPTED, WITH_TORCH, golden_for, _lib

pytestmark = pytest.mark.venv

VENV_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
LIBRARY = os.environ.get("DIGITINFER_LIBRARY") or _lib.library_path  # the library under test, as named
PLUGIN = Path(LIBRARY).parent / "digitinfer/libdigitinfer_torch.so"  # where the library looks for it
EXPECTED = next((c for c in golden_for("models/convnet.scripted.pt") if c["image"] == "examples/images/digit-7.png"),
                None)  # the .dimodel predicts as the scripted model does

# What a user's child process sees: no DigitInfer variable, no loader or pkg-config path.
CLEAN_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "DIGITINFER_CACHE_DIR": "off"}
PREDICT = f"""
import json, digitinfer
with digitinfer.Model({str(DIMODEL)!r}) as model:
    p = model.predict({str(DIGIT_7)!r})
torch = None
if {WITH_TORCH and PLUGIN.exists()!r} and digitinfer.library_path().startswith(digitinfer.__path__[0]):
    with digitinfer.Model({str(SCRIPTED)!r}, engine="libtorch") as model:  # the bundled plugin
        torch = model.predict({str(DIGIT_7)!r}).digit
print(json.dumps({{"digit": p.digit, "probabilities": p.probabilities.tolist(), "torch": torch,
                  "library": digitinfer.library_path(), "package": digitinfer.__path__[0],
                  "version": digitinfer.version()}}))
"""


def run(command, env=None, cwd=None, timeout=600):
    """Runs `command`, failing the test with its output if it fails."""
    done = subprocess.run([str(c) for c in command], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, command))} failed:\n{done.stdout}\n{done.stderr}"
    return done


def pip_env(home):
    """The environment for pip: this one's (proxy, PIP_CACHE_DIR...) without anything DigitInfer."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DIGITINFER_", "PYTHON")) and k not in ("LD_LIBRARY_PATH", "PKG_CONFIG_PATH")}
    env.setdefault("PIP_CACHE_DIR", str(Path(os.environ.get("HOME", home)) / ".cache/pip"))
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONDONTWRITEBYTECODE="1")
    return env


def make_venv(path: Path) -> Path:
    """A fresh virtual environment without system site packages; its python."""
    done = subprocess.run([VENV_PYTHON, "-m", "venv", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot create a virtual environment with {VENV_PYTHON} -m venv (on Debian: apt-get install "
                    f"python3-venv): {done.stderr.strip()[-300:]}")
    python = path / "bin/python"
    no_system = run([python, "-c", "import sys; print(sys.prefix != sys.base_prefix)"]).stdout.strip()
    assert no_system == "True"
    return python


def tree_state():
    """What git says of bindings/python, untracked and ignored files included (None outside a git checkout)."""
    if not shutil.which("git") or not (ROOT / ".git").exists():
        return None
    return run(["git", "-C", ROOT, "status", "--porcelain", "--ignored", "--untracked-files=all", "--",
                "bindings/python"]).stdout


def predict_in(python: Path, cwd: Path, **env) -> dict:
    """Runs PREDICT with the venv's python, from `cwd`, with CLEAN_ENV plus `env` only."""
    done = run([python, "-c", PREDICT], env={**CLEAN_ENV, "HOME": str(cwd), **env}, cwd=cwd)
    return json.loads(done.stdout)


def assert_golden(result):
    assert result["digit"] == 7
    if EXPECTED:
        assert result["probabilities"] == pytest.approx(EXPECTED["probabilities"], abs=1e-5)


@pytest.fixture(scope="module")
def builder(tmp_path_factory):
    """A virtual environment with `build` (pip builds with hatchling from PyPI in isolation)."""
    home = tmp_path_factory.mktemp("builder")
    python = make_venv(home / "venv")
    run([python, "-m", "pip", "install", "-q", "build"], env=pip_env(home))
    return python, home


@pytest.fixture(scope="module")
def unchanged_tree():
    """Checks, once the module's builds are done, that they left bindings/python as it was."""
    before = tree_state()
    yield
    assert tree_state() == before, "building or installing wrote into bindings/python"


def test_the_bundled_wheel_predicts_with_nothing_set(builder, unchanged_tree, tmp_path):
    python, home = builder
    out = tmp_path / "dist"
    env = {**pip_env(home), "DIGITINFER_BUNDLE_LIBRARY": LIBRARY}
    run([python, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, BINDINGS], env=env)
    [wheel] = out.glob("*.whl")
    assert wheel.name.endswith("-py3-none-linux_x86_64.whl") or "-none-any" not in wheel.name, wheel.name
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"digitinfer/_bundled/libdigitinfer.so.1", "digitinfer/py.typed", "digitinfer/__init__.py"} <= names
    assert ("digitinfer/_bundled/digitinfer/libdigitinfer_torch.so" in names) == PLUGIN.exists()

    user = make_venv(tmp_path / "user")
    run([user, "-m", "pip", "install", "-q", wheel], env=pip_env(home))  # numpy comes as its dependency
    result = predict_in(user, tmp_path)
    assert_golden(result)
    assert result["package"].startswith(str(tmp_path / "user"))
    assert result["library"] == str(Path(result["package"]) / "_bundled/libdigitinfer.so.1")
    assert result["version"] == run([sys.executable, "-c", "import digitinfer; print(digitinfer.version())"],
                                    env={**os.environ, "PYTHONPATH": str(BINDINGS)}).stdout.strip()
    if WITH_TORCH and PLUGIN.exists():
        assert result["torch"] == 7  # TorchScript through the plugin bundled beside the library
    no_pillow = run([user, "-c", "import digitinfer, sys; print('PIL' in sys.modules)"], env=CLEAN_ENV, cwd=tmp_path)
    assert no_pillow.stdout.strip() == "False"  # Pillow is optional, and not imported


def test_pip_install_from_the_checkout_and_the_sdist_find_an_installed_library(builder, unchanged_tree, tmp_path):
    python, home = builder
    # An installed prefix: the library in <prefix>/lib, its .pc in <prefix>/lib/pkgconfig.
    lib = tmp_path / "prefix/lib"
    (lib / "pkgconfig").mkdir(parents=True)
    shutil.copy2(os.path.realpath(LIBRARY), lib / _lib.SONAME)
    (lib / "pkgconfig/digitinfer.pc").write_text(
        f"prefix={tmp_path / 'prefix'}\nlibdir=${{prefix}}/lib\n\nName: digitinfer\nDescription: test\n"
        "Version: 1.0.0\nLibs: -L${libdir} -ldigitinfer\n")
    user = make_venv(tmp_path / "user")
    env = {k: v for k, v in pip_env(home).items() if k != "DIGITINFER_BUNDLE_LIBRARY"}
    run([user, "-m", "pip", "install", "-q", BINDINGS], env=env)  # what the new user typed
    installed = run([user, "-m", "pip", "show", "-f", "digitinfer"], env=env).stdout
    assert ".so" not in installed and "py.typed" in installed
    if shutil.which("pkg-config"):
        result = predict_in(user, tmp_path, PKG_CONFIG_PATH=str(lib / "pkgconfig"))
        assert_golden(result)
        assert result["library"] == str((lib / _lib.SONAME).resolve())
    result = predict_in(user, tmp_path, LD_LIBRARY_PATH=str(lib))  # the loader's path
    assert result["library"] == str((lib / _lib.SONAME).resolve())

    out = tmp_path / "sdist"
    run([python, "-m", "build", "--sdist", "--outdir", out, BINDINGS], env=env)
    [sdist] = out.glob("*.tar.gz")
    members = {m.split("/", 1)[1] for m in tarfile.open(sdist).getnames() if "/" in m}
    assert {"pyproject.toml", "hatch_build.py", "digitinfer/py.typed", "tests/test_inputs.py"} <= members
    assert not any(m.endswith(".so") or m.endswith(".so.1") or "_bundled" in m for m in members)
    run([user, "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", sdist], env=env)
    assert_golden(predict_in(user, tmp_path, LD_LIBRARY_PATH=str(lib)))
