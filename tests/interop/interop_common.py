"""What check_pth.py and check_onnx.py share: paths, the golden cases, the binding, assertions.

Run by /usr/bin/python3 (torch, torchvision, Pillow) from CTest, which sets DIGITINFER_LIBRARY
to the built libdigitinfer.so. Nothing is written outside the work directory each test is given.
"""
import json
import shutil
import sys
from pathlib import Path

SKIP = 77  # CTest's SKIP_RETURN_CODE for these tests
try:
    import numpy as np
    import torch  # noqa: F401
    import torchvision  # noqa: F401
    import PIL  # noqa: F401
except ImportError as e:
    print(f"skip: {sys.executable} lacks numpy, torch, torchvision or Pillow ({e})")
    sys.exit(SKIP)

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tools"), str(ROOT / "bindings/python")]
REFERENCE_MODEL = "models/convnet.traced.pt"  # what models/convnet.state_dict.pth exports to
TOLERANCE = 1e-5


def golden_cases():
    """golden.json's cases of the shipped ConvNet: [(image path, digit, probabilities)]."""
    cases = json.loads((ROOT / "tests/data/golden.json").read_text())["cases"]
    out = [(ROOT / c["image"], c["digit"], np.array(c["probabilities"], dtype=np.float64))
           for c in cases if c["model"] == REFERENCE_MODEL]
    assert out, f"no golden case for {REFERENCE_MODEL}"
    return out


def fresh_dir(path):
    """An empty work directory (the previous run's files removed)."""
    path = Path(path)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def expect_close(what, digits, probabilities, want_digits, want_probabilities):
    """Raises AssertionError unless every digit is equal and every probability within TOLERANCE."""
    digits, want_digits = np.asarray(digits), np.asarray(want_digits)
    diff = float(np.abs(np.asarray(probabilities, np.float64) - np.asarray(want_probabilities, np.float64)).max())
    wrong = int((digits != want_digits).sum())
    print(f"  {what}: {len(digits)} inputs, {wrong} digits differ, max |dp| {diff:.2e}")
    assert wrong == 0, f"{what}: {wrong} digits differ from the reference"
    assert diff <= TOLERANCE, f"{what}: probabilities differ from the reference by {diff:g} > {TOLERANCE:g}"


def digitinfer_model(path):
    """The built library's model (DIGITINFER_LIBRARY), one thread, no compiled-model cache."""
    import digitinfer
    return digitinfer.Model(str(path), threads=1, cache_dir="")
