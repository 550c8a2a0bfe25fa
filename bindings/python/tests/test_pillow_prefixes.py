"""Truncated files: the library decides as Pillow 9.4 does, with Pillow's pixels (issue 11).

For every test image (tests/data/images, examples/images) of a format, prefixes of it (a sample:
every 7th length, and the last 16 lengths, where the image data, markers, terminators and footers
end) go through the library's preprocessing and through Pillow + the reference preprocessing
(tools/reference.py). Where Pillow decodes a prefix, the library must give DI_OK and Pillow's 28x28
exactly; where Pillow raises (mostly "image file is truncated"), DI_ERR_DECODE.

Needs /usr/bin/python3's Pillow, torch and torchvision (the reference); skipped without them.
"""
import sys

import pytest

from support import ROOT, digitinfer

pytest.importorskip("PIL.Image")
pytest.importorskip("torchvision")
sys.path.insert(0, str(ROOT / "tools"))
import bmp_mutations  # noqa: E402  (its Pillow side: the same reference preprocessing)

FORMATS = {"png": (".png",), "jpeg": (".jpg",), "gif": (".gif",), "bmp": (".bmp",), "tga": (".tga",),
           "pnm": (".pgm", ".ppm")}
STEP, TAIL = 7, 16


def prefix_lengths(size):
    return sorted(set(range(STEP, size, STEP)) | set(range(max(1, size - TAIL), size)))


def pillow(data):
    """Pillow's 28x28 bytes, or None where it refuses the bytes (every refusal counts)."""
    return bmp_mutations.pillow(data, skip_pixels=None)


def library(model, data):
    try:
        return model.preprocess(data).image.tobytes()
    except digitinfer.Error as e:
        assert e.status == "DI_ERR_DECODE", f"{e}"
        return None


@pytest.fixture(scope="module")
def model():
    return digitinfer.Model(ROOT / "models/convnet.dimodel")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_truncated_prefixes_get_pillows_decision_and_pixels(model, fmt):
    images = [p for d in ("tests/data/images", "examples/images") for p in sorted((ROOT / d).iterdir())
              if p.suffix in FORMATS[fmt]]
    assert images, f"no {fmt} test images"
    checked, disagreements = 0, []
    for path in images:
        data = path.read_bytes()
        for n in prefix_lengths(len(data)):
            want, got = pillow(data[:n]), library(model, data[:n])
            checked += 1
            if want != got:
                what = ("Pillow refuses, the library decodes" if want is None else
                        "Pillow decodes, the library refuses" if got is None else "the pixels differ")
                disagreements.append(f"{path.name}[:{n}] of {len(data)}: {what}")
    assert not disagreements, f"{len(disagreements)} of {checked} prefixes disagree:\n" + "\n".join(disagreements[:20])
