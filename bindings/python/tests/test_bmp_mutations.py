"""Mutated BMPs: the library decides as Pillow 9.4 does, with Pillow's pixels.

A sample (a few mutants of every seed) of tools/bmp_mutations.py, the full differential run, which
says what is mutated and how; here it must find no difference. And the RLE decode budget: a
header-only RLE file claiming the largest image Pillow accepts is refused (the codes end at once:
Pillow's "not enough image data") without the image being allocated.

Needs /usr/bin/python3's Pillow, torch and torchvision (the reference); skipped without them.
"""
import struct
import sys

import pytest

from support import ROOT

pytest.importorskip("PIL.Image")
pytest.importorskip("torchvision")
sys.path.insert(0, str(ROOT / "tools"))
import bmp_mutations  # noqa: E402

PER_FILE, SEED = 30, "test"


def test_mutated_bmps_get_pillows_decision_and_pixels(compiled):
    cases = bmp_mutations.mutants(PER_FILE, SEED)
    checked, _, differences = bmp_mutations.compare(compiled, cases)
    assert checked > 0.9 * len(cases)
    assert not differences, f"{len(differences)} of {checked} mutants differ:\n" + "\n".join(differences[:20])


@pytest.mark.parametrize("compression", [1, 2])
def test_header_only_rle_claiming_178m_pixels_is_refused(compiled, compression):
    side = 13376  # 13376^2 = 178,917,376 pixels: under Pillow's cap
    palette = bytes(4 * 16)
    info = struct.pack("<IiiHHIIiiII", 40, side, side, 1, 8 if compression == 1 else 4, compression, 0, 0, 0, 16, 0)
    data = b"BM" + struct.pack("<IHHI", 14 + 40 + 64, 0, 0, 14 + 40 + 64) + info + palette
    assert bmp_mutations.pillow(data) == "skip"  # Pillow opens it; it would allocate the image first
    assert bmp_mutations.library(compiled, data) is None
