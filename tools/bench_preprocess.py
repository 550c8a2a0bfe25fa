#!/usr/bin/python3
"""Preprocessing time per image, DigitInfer vs Pillow + torchvision, side by side.

Both run in this one process, on the same encoded bytes held in memory:
  Pillow:     Image.open(BytesIO) -> to_grayscale -> resize(28, 28) -> to_tensor -> normalize
  DigitInfer: di_model_preprocess_encoded (decode -> grayscale -> resize -> normalize), via
              the ctypes bindings (their call overhead, a few microseconds, is included)
Both produce the same 28x28 image bit for bit (tests/test_golden.cpp checks it).

    /usr/bin/python3 tools/bench_preprocess.py [--library build/libdigitinfer.so.1] [--markdown]
"""
import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torchvision.transforms.functional as TF
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent


def encoded_inputs():
    """(label, bytes) pairs: shipped images plus larger ones made here."""
    rng = np.random.default_rng(1)
    inputs = [("28x28 L PNG", (ROOT / "examples/images/digit-2.png").read_bytes()),
              ("251x248 RGBA PNG", (ROOT / "tests/data/images/5-RGBA-251x248.png").read_bytes()),
              ("100x100 RGB JPEG", (ROOT / "tests/data/images/0-RGB-100x100.jpg").read_bytes())]
    for w, h, fmt in [(640, 480, "PNG"), (640, 480, "JPEG"), (3000, 3000, "PNG")]:
        x, y = np.meshgrid(np.arange(w), np.arange(h))
        base = ((x * 255 // max(w - 1, 1) + y * 255 // max(h - 1, 1)) // 2).astype(np.uint8)
        rgb = np.stack([base, base[::-1], np.full_like(base, 90)], -1)
        rgb = (rgb + rng.integers(0, 16, rgb.shape)).clip(0, 255).astype(np.uint8)
        out = io.BytesIO()
        Image.fromarray(rgb, "RGB").save(out, fmt)
        inputs.append((f"{w}x{h} RGB {fmt}", out.getvalue()))
    return inputs


def per_call_us(fn, budget_s=1.0, min_runs=5):
    """Median over repeated timings of fn(), in microseconds."""
    fn()  # warm-up
    samples, deadline = [], time.perf_counter() + budget_s
    while len(samples) < min_runs or time.perf_counter() < deadline:
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples) * 1e6


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--library", default=str(ROOT / "build/libdigitinfer.so.1"))
    p.add_argument("--model", default=str(ROOT / "models/convnet.dimodel"))
    p.add_argument("--markdown", action="store_true")
    a = p.parse_args()
    os.environ["DIGITINFER_LIBRARY"] = a.library
    sys.path.insert(0, str(ROOT / "bindings/python"))
    import digitinfer

    torch.set_num_threads(1)
    model = digitinfer.Model(a.model, num_threads=1)

    def pillow(data):
        img = Image.open(io.BytesIO(data))
        t = TF.to_tensor(TF.resize(TF.to_grayscale(img), (28, 28)))
        return TF.normalize(t, (0.1302,), (0.3069,))

    rows = []
    for label, data in encoded_inputs():
        ours = per_call_us(lambda: model.preprocess(data))
        theirs = per_call_us(lambda: pillow(data))
        rows.append((label, theirs, ours, theirs / ours))
    head = ("image", "Pillow+torchvision µs", "DigitInfer µs", "speed-up")
    if a.markdown:
        print("| " + " | ".join(head) + " |\n|---|---:|---:|---:|")
        for r in rows:
            print(f"| {r[0]} | {r[1]:.1f} | {r[2]:.1f} | {r[3]:.1f}× |")
    else:
        print(f"{head[0]:<20} {head[1]:>22} {head[2]:>14} {head[3]:>9}")
        for r in rows:
            print(f"{r[0]:<20} {r[1]:>22.1f} {r[2]:>14.1f} {r[3]:>8.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
