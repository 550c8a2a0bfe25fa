"""What the tests share: the repository's files, the library under test, golden cases, assertions.

The library under test is $DIGITINFER_LIBRARY, else the checkout's build/libdigitinfer.so.1, else
whatever the package finds (digitinfer/_find.py). A library built without libtorch
(-DDIGITINFER_WITH_TORCH=OFF) is tested too: see WITH_TORCH below.
"""
import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]  # bindings/python/tests/<this file>
BINDINGS = ROOT / "bindings/python"
# A source checkout's build is the natural library to test when none is named. Set to "" (run_tests.sh
# does), DIGITINFER_LIBRARY leaves the choice to the package (digitinfer/_find.py).
if (ROOT / "build/libdigitinfer.so.1").exists():
    os.environ.setdefault("DIGITINFER_LIBRARY", str(ROOT / "build/libdigitinfer.so.1"))

import digitinfer  # noqa: E402  (needs the environment above)
from digitinfer import Error, Model, _lib  # noqa: E402

HERE = Path(__file__).resolve().parent
SCRIPTED = ROOT / "models/convnet.scripted.pt"
TRACED = ROOT / "models/convnet.traced.pt"
DIMODEL = ROOT / "models/convnet.dimodel"
GOLDEN = ROOT / "tests/data/golden.json"
BAD = ROOT / "tests/data/bad"
EXAMPLES = sorted((ROOT / "examples/images").glob("*.png"))
IMAGES = sorted((ROOT / "tests/data/images").iterdir()) + EXAMPLES
DIGIT_7 = ROOT / "examples/images/digit-7.png"
DIGIT_2 = ROOT / "examples/images/digit-2.png"
BIG = ROOT / "tests/data/images/1-RGB-640x480.png"
CORRUPT = BAD / "corrupt.png"


# --- builds without the libtorch plugin --------------------------------------------------------
# A library built with -DDIGITINFER_WITH_TORCH=OFF loads only .dimodel files: a TorchScript file fails with
# DI_ERR_MODEL, "the libtorch plugin is not installed". CTest says which build it tests
# (DIGITINFER_WITH_TORCH=0 or 1); unset, the tests ask the library, loading the shipped traced model. Set, it
# must agree with the library, else the tests refuse to run (rather than skip what they should test).
# Without the plugin, as the C++ tests do (tests/support.cpp: stand_in, model_available, [torch]):
# - the shipped TorchScript models are stood in for by their compiled form, models/convnet.dimodel, which
#   predicts as they do on the native engine (with the plugin, test_export_native_gives_a_model_that_
#   predicts_identically checks that, and the C++ [native_file] tests);
# - golden cases of other TorchScript models are left out, counted in one skipped case;
# - tests about TorchScript itself (its engines, exporting from it) skip, saying so;
# - test_torchscript_files_need_the_plugin checks the error. With the plugin nothing of this changes.
NO_PLUGIN = "libtorch plugin is not installed"


def _probe_torch():
    """True when the library loads a TorchScript file, False when it says it has no plugin for one, None when
    it fails otherwise (the tests that load TorchScript then show that error), with the error's text."""
    try:
        with Model(TRACED):
            return True, ""
    except Error as e:
        return (False if e.status == "DI_ERR_MODEL" and NO_PLUGIN in e.message else None), str(e)


def _with_torch():
    probed, error = _probe_torch()
    declared = os.environ.get("DIGITINFER_WITH_TORCH", "").strip()
    if not declared:
        return probed is not False
    truth = {"1": True, "on": True, "true": True, "yes": True, "0": False, "off": False, "false": False, "no": False}
    if declared.lower() not in truth:
        raise RuntimeError(f"DIGITINFER_WITH_TORCH={declared!r}: expected 1 or 0 (ON/OFF, TRUE/FALSE, YES/NO)")
    if truth[declared.lower()] and probed is False:
        raise RuntimeError(f"DIGITINFER_WITH_TORCH={declared} says the library under test "
                           f"({_lib.lib._name}) has the libtorch plugin, but it has none: {error}")
    if not truth[declared.lower()] and probed is True:
        raise RuntimeError(f"DIGITINFER_WITH_TORCH={declared} says the library under test ({_lib.lib._name}) has "
                           f"no libtorch plugin, but it loads {TRACED.relative_to(ROOT)}: the tests of TorchScript "
                           "would be skipped for nothing")
    return truth[declared.lower()]


WITH_TORCH = _with_torch()


def needs_torch(what):
    """Marks a test about TorchScript itself: skipped, saying `what` it tests, by a library without the plugin."""
    return pytest.mark.skipif(not WITH_TORCH, reason=f"needs the libtorch plugin: {what}")


def stand_in(path):
    """The absolute path of the model a test that just needs `path` (absolute or relative to the repository)
    loads: `path` itself, or, without the plugin, models/convnet.dimodel for a shipped TorchScript model."""
    path = ROOT / path
    return DIMODEL if not WITH_TORCH and path in (SCRIPTED, TRACED) else path


def model_available(path):
    return WITH_TORCH or stand_in(path).suffix == ".dimodel"


def golden_cases():
    """All the cases of golden.json, whatever the build (for the images' facts: their sizes and digits)."""
    if not GOLDEN.exists():
        return []
    return json.loads(GOLDEN.read_text())["cases"]


def golden_params():
    cases = golden_cases()
    if not cases:
        reason = f"{GOLDEN.relative_to(ROOT)} is absent or empty: generate it with tools/make_golden.py"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason))]
    params = [pytest.param(c, id=f"{c['image']}@{c['model']}") for c in cases if model_available(c["model"])]
    left_out = [c for c in cases if not model_available(c["model"])]
    if left_out:
        names = sorted({c["model"] for c in left_out})
        reason = (f"needs the libtorch plugin: {len(left_out)} of the {len(cases)} golden cases, those of the "
                  f"{len(names)} TorchScript models {', '.join(names)}, are left out")
        params.append(pytest.param(None, id="left-out-without-libtorch", marks=pytest.mark.skip(reason=reason)))
    return params


def assert_same(a, b, tolerance=1e-5):
    assert a.digit == b.digit
    assert a.probabilities == pytest.approx(b.probabilities, abs=tolerance)


# The exception class of each status (digitinfer.DigitInferError picks it from the code).
STATUS_CLASSES = {"DI_ERR_INVALID_ARGUMENT": digitinfer.InvalidArgumentError, "DI_ERR_IO": digitinfer.FileError,
                  "DI_ERR_DECODE": digitinfer.DecodeError, "DI_ERR_MODEL": digitinfer.ModelError,
                  "DI_ERR_OUT_OF_MEMORY": digitinfer.OutOfMemoryError, "DI_ERR_INFERENCE": digitinfer.InferenceError}


def assert_error(e, status):
    """`e` is the DigitInferError of the C status called `status`, with a message."""
    assert isinstance(e, STATUS_CLASSES.get(status, Error)), repr(e)
    assert e.status == status, str(e)
    assert isinstance(e.code, int) and e.code < 0 and e.code == getattr(_lib, status)
    assert e.message and str(e).startswith(status + ": ")


def assert_status(excinfo, status):
    assert_error(excinfo.value, status)


def golden_for(model_path):
    """The golden cases of one model (a path relative to the repository), for the tests that need only one."""
    return [c for c in golden_cases() if c["model"] == model_path]


