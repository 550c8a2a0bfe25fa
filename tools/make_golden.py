#!/usr/bin/python3
"""Writes tests/data/golden.json: what the reference pipeline (tools/reference.py) computes.

    /usr/bin/python3 tools/make_golden.py            # (re)write tests/data/golden.json
    /usr/bin/python3 tools/make_golden.py --check    # exit 1 if the committed file is not current

golden.json holds:
  "models"      per model: input shape, mean, std, and "normalize_table", the 256 float32 values
                torchvision's to_tensor + normalize give the uint8 values 0..255 (computed by
                torchvision on a 1x256 image; each stored as the float32's exact value, so it
                parses back bit for bit);
  "cases"       every image in tests/data/images and examples/images with the default model
                (models/convnet.scripted.pt), and the PNG images (examples included) with every
                other model too: models/convnet.traced.pt, tiny-32x32 (the one other input size)
                and the variants that differ in mean/std or output kind (this keeps the file small;
                what preprocessing does to a format depends on no model); each case: Pillow's
                format/mode/size, the HxW uint8 image fed to to_tensor ("preprocessed"), digit,
                probabilities and log-probabilities (float32, shortest decimals);
  "synthetic"   large and odd-sized images that are not committed: pixels given by the formulas
                below (tests/support.cpp implements the same ones in C++), with the expected
                preprocessed image and prediction;
  "unsupported" the files of tests/data/unsupported: Pillow reads them, the library refuses them.

Every case's tensor is checked here to be normalize_table[preprocessed] bit for bit, so a test
comparing the library's tensor with the table compares it with torchvision's.
--check regenerates in memory and compares: strings and integers exactly, floats to 1e-5 absolute or 1e-6 relative.

Synthetic pixel formulas (integers; uint32 arithmetic wraps modulo 2**32; "/" truncates):
  hash(x, y, c, seed) = lowbias32(seed*0x9E3779B1 + x*0x85EBCA77 + y*0xC2B2AE3D + c*0x27D4EB2F)
      lowbias32(h): h ^= h >> 16; h *= 0x7FEB352D; h ^= h >> 15; h *= 0x846CA68B; h ^= h >> 16
  "noise"       v(x, y, c) = hash(x, y, c, seed) >> 24
  "gradient"    gx = x*255/(w-1), gy = y*255/(h-1) (0 when that side is 1);
                channel 0 = (gx + gy)/2, 1 = gx, 2 = gy, 3 = 255 - (gx + gy)/2
  "digit"       a seven-segment digit (seed % 10): INK where the pixel's centre lies in a lit
                segment, PAPER elsewhere (see SEGMENTS)
  "noisydigit"  digit + (hash(x, y, c, seed) >> 27) - 16, clamped to 0..255
  A mode takes channels L: 0; LA: 0, 3; RGB: 0, 1, 2; RGBA: 0, 1, 2, 3.
"""
import argparse
import json
import math
import sys
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import PIL
import torch
import torchvision
import torchvision.transforms.functional as TF
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests/data/golden.json"
IMAGE_DIRS = ("tests/data/images", "examples/images")
UNSUPPORTED_DIR = "tests/data/unsupported"
LOSSY_FORMATS = {"JPEG"}
# libtorch's float32 reductions differ by instruction set (AVX-512 vs AVX2 machines): the
# check allows the 1e-5 the C++ suites hold predictions to, or a few float32 ulps on large
# log-probabilities; integers and strings stay exact.
TOLERANCE = 1e-5
REL_TOLERANCE = 1e-6
VERSION_KEYS = ("torch", "torchvision", "pillow")
SHIPPED_MODELS = ["models/convnet.traced.pt", "models/convnet.scripted.pt"]
DEFAULT_MODEL = "models/convnet.scripted.pt"  # the installed default
TINY_MODEL = "tests/data/models/tiny-32x32.traced.pt"

# ---------------------------------------------------------------- synthetic images

MODE_CHANNELS = {"L": (0,), "LA": (0, 3), "RGB": (0, 1, 2), "RGBA": (0, 1, 2, 3)}
INK, PAPER = (250, 220, 90, 255), (20, 30, 90, 110)
# Seven segments, in thousandths of the width and height: x from, x to, y from, y to (half-open).
X0, X1, Y0, YM, Y1, T = 300, 700, 180, 500, 820, 100
SEGMENTS = {
    "a": (X0, X1, Y0, Y0 + T), "b": (X1 - T, X1, Y0, YM + T // 2), "c": (X1 - T, X1, YM - T // 2, Y1),
    "d": (X0, X1, Y1 - T, Y1), "e": (X0, X0 + T, YM - T // 2, Y1), "f": (X0, X0 + T, Y0, YM + T // 2),
    "g": (X0, X1, YM - T // 2, YM + T // 2),
}
DIGIT_SEGMENTS = ["abcdef", "bc", "abdeg", "abcdg", "bcfg", "acdfg", "acdefg", "abc", "abcdefg", "abcdfg"]

# (pattern, width, height, mode, seed, model): the extremes of the resize (1 pixel wide or high,
# 4000:3, 3000x3000), each pass alone, identity, exact 2x, upscaling, and every PNG colour type.
SYNTHETIC = [
    ("digit", 3000, 3000, "RGB", 7, DEFAULT_MODEL),
    ("noise", 3000, 3000, "L", 1, DEFAULT_MODEL),
    ("digit", 2000, 1500, "RGB", 3, DEFAULT_MODEL),
    ("gradient", 2000, 1500, "RGBA", 0, DEFAULT_MODEL),
    ("noise", 1, 500, "RGB", 2, DEFAULT_MODEL),
    ("gradient", 500, 1, "L", 0, DEFAULT_MODEL),
    ("noise", 4000, 3, "RGBA", 3, DEFAULT_MODEL),
    ("gradient", 3, 4000, "LA", 0, DEFAULT_MODEL),
    ("noisydigit", 640, 480, "LA", 0, DEFAULT_MODEL),
    ("noisydigit", 1000, 1000, "L", 5, DEFAULT_MODEL),
    ("digit", 28, 28, "L", 4, DEFAULT_MODEL),
    ("noise", 29, 28, "RGB", 4, DEFAULT_MODEL),
    ("noise", 28, 29, "L", 5, DEFAULT_MODEL),
    ("noisydigit", 56, 56, "RGB", 8, DEFAULT_MODEL),
    ("noise", 14, 14, "L", 6, DEFAULT_MODEL),
    ("gradient", 5, 7, "RGB", 0, DEFAULT_MODEL),
    ("noise", 1, 1, "RGBA", 7, DEFAULT_MODEL),
    ("digit", 27, 29, "L", 1, DEFAULT_MODEL),
    ("noisydigit", 999, 1001, "RGB", 2, DEFAULT_MODEL),
    ("digit", 100, 100, "RGBA", 9, DEFAULT_MODEL),
    ("noise", 32, 32, "L", 8, TINY_MODEL),
    ("gradient", 4000, 3, "RGB", 0, TINY_MODEL),
    ("noisydigit", 1000, 700, "RGB", 6, TINY_MODEL),
    ("digit", 28, 28, "L", 7, TINY_MODEL),
    ("noisydigit", 3000, 3000, "L", 3, TINY_MODEL),
    ("noise", 33, 31, "RGBA", 9, TINY_MODEL),
    ("gradient", 1, 700, "LA", 0, TINY_MODEL),
]


def lowbias32(h):
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x7FEB352D)
    h = h ^ (h >> np.uint32(15))
    h = h * np.uint32(0x846CA68B)
    return h ^ (h >> np.uint32(16))


def hash32(x, y, c, seed):
    """x: uint32 row vector, y: uint32 column vector; returns the (h, w) uint32 hashes."""
    base = np.uint32((seed * 0x9E3779B1 + c * 0x27D4EB2F) & 0xFFFFFFFF)
    return lowbias32(base + x * np.uint32(0x85EBCA77) + y * np.uint32(0xC2B2AE3D))


def seven_segments(w, h, digit):
    x2 = 1000 * (2 * np.arange(w, dtype=np.int64) + 1)  # pixel centres, in 1/(2w) thousandths
    y2 = 1000 * (2 * np.arange(h, dtype=np.int64) + 1)
    ink = np.zeros((h, w), bool)
    for s in DIGIT_SEGMENTS[digit]:
        xa, xb, ya, yb = SEGMENTS[s]
        ink |= np.outer((2 * h * ya <= y2) & (y2 < 2 * h * yb), (2 * w * xa <= x2) & (x2 < 2 * w * xb))
    return ink


def synthetic_pixels(pattern, w, h, mode, seed):
    """The (h, w[, channels]) uint8 samples of a synthetic image."""
    x = np.arange(w, dtype=np.uint32)[np.newaxis, :]
    y = np.arange(h, dtype=np.uint32)[:, np.newaxis]
    planes = []
    with np.errstate(over="ignore"):
        for c in MODE_CHANNELS[mode]:
            if pattern == "noise":
                v = hash32(x, y, c, seed) >> np.uint32(24)
            elif pattern == "gradient":
                gx = x.astype(np.int64) * 255 // max(w - 1, 1)
                gy = y.astype(np.int64) * 255 // max(h - 1, 1)
                v = {0: (gx + gy) // 2, 1: gx + 0 * gy, 2: gy + 0 * gx, 3: 255 - (gx + gy) // 2}[c]
            else:
                v = np.where(seven_segments(w, h, seed % 10), INK[c], PAPER[c]).astype(np.int64)
                if pattern == "noisydigit":
                    v = np.clip(v + (hash32(x, y, c, seed) >> np.uint32(27)).astype(np.int64) - 16, 0, 255)
            planes.append(np.broadcast_to(v, (h, w)).astype(np.uint8))
    return planes[0] if len(planes) == 1 else np.stack(planes, -1)


# ---------------------------------------------------------------- the golden values

def image_paths():
    return [f"{d}/{p.name}" for d in IMAGE_DIRS for p in sorted((ROOT / d).iterdir()) if p.is_file()]


def model_paths():
    extra = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "tests/data/models").glob("*.pt"))
    return SHIPPED_MODELS + extra


def runs_on(model_path, image):
    """The default model runs on every image, the others on the PNG images (examples included)."""
    return model_path == DEFAULT_MODEL or image.endswith(".png")


def float32s(values):
    """float32 values as the shortest decimals that read back as the same float32 (a smaller file)."""
    return [float(str(np.float32(v))) for v in values]


def normalize_table(meta):
    """torchvision's float32 result for every uint8 value, as exact Python floats."""
    ramp = Image.fromarray(np.arange(256, dtype=np.uint8).reshape(1, 256), "L")
    t = TF.normalize(TF.to_tensor(ramp), meta["mean"], meta["std"])
    assert t.dtype == torch.float32 and t.shape == (1, 1, 256)
    return t[0, 0].tolist()


def same_bits(tensor, table, u8):
    """Whether a [C,H,W] tensor is table[u8] in every channel, bit for bit."""
    want = np.asarray(table, np.float32)[u8].view(np.uint32)
    return all(np.array_equal(plane.view(np.uint32), want) for plane in tensor.numpy())


def run(model, meta, table, img, what):
    u8, x = reference.preprocess(img, meta)
    if not same_bits(x, table, u8):
        raise SystemExit(f"{what}: torchvision's tensor is not normalize_table[preprocessed]")
    result = reference.infer(model, meta, x)
    return {
        "digit": result["digit"],
        "probabilities": float32s(result["probabilities"]),
        "log_probabilities": float32s(result["log_probabilities"]),
        "preprocessed": u8.reshape(-1).tolist(),
    }


def case(image, model_path, model, meta, table):
    with Image.open(ROOT / image) as img:
        mode, fmt, (w, h) = img.mode, img.format, img.size
        with warnings.catch_warnings():  # P + tRNS bytes: Pillow warns, and converts as usual
            warnings.simplefilter("ignore", UserWarning)
            out = run(model, meta, table, img, f"{image} with {model_path}")
    return {"image": image, "model": model_path, "mode": mode, "format": fmt, "width": w, "height": h,
            "lossless": fmt not in LOSSY_FORMATS, **out}


def synthetic_case(spec, models):
    pattern, w, h, mode, seed, model_path = spec
    model, meta, table = models[model_path]
    img = Image.fromarray(synthetic_pixels(pattern, w, h, mode, seed), mode)
    out = run(model, meta, table, img, f"synthetic {spec}")
    return {"pattern": pattern, "width": w, "height": h, "mode": mode, "seed": seed, "model": model_path, **out}


def unsupported():
    out = []
    for p in sorted((ROOT / UNSUPPORTED_DIR).iterdir()):
        with Image.open(p) as img:
            img.load()  # Pillow decodes it
            out.append({"image": f"{UNSUPPORTED_DIR}/{p.name}", "format": img.format, "mode": img.mode,
                        "width": img.width, "height": img.height})
    return out


def generate():
    torch.set_num_threads(1)
    models = {}
    for path in model_paths():
        model, meta = reference.load_model(ROOT / path)
        if meta["input"]["channels"] == 1:
            models[path] = (model, meta, normalize_table(meta))
    cases = [case(image, path, model, meta, table)
             for image in image_paths() for path, (model, meta, table) in models.items() if runs_on(path, image)]
    return {
        "generator": "tools/make_golden.py", "torch": torch.__version__,
        "torchvision": torchvision.__version__, "pillow": PIL.__version__,
        "models": {path: {"input": [meta["input"][k] for k in ("channels", "height", "width")],
                          "mean": meta["mean"], "std": meta["std"], "normalize_table": table}
                   for path, (_, meta, table) in models.items()},
        "cases": cases,
        "synthetic": [synthetic_case(spec, models) for spec in SYNTHETIC],
        "unsupported": unsupported(),
    }


def dumps(golden):
    """JSON with one model, case or synthetic image per line (reviewable diffs); floats keep full precision."""
    compact = {"separators": (",", ":")}
    lines = ["{"]
    items = list(golden.items())
    for i, (k, v) in enumerate(items):
        end = "," if i + 1 < len(items) else ""
        if isinstance(v, list):
            rows = [f"  {json.dumps(x, **compact)}" for x in v]
            lines.append(f" {json.dumps(k)}: [\n" + ",\n".join(rows) + f"\n ]{end}")
        elif isinstance(v, dict):
            rows = [f"  {json.dumps(m)}: {json.dumps(x, **compact)}" for m, x in v.items()]
            lines.append(f" {json.dumps(k)}: {{\n" + ",\n".join(rows) + f"\n }}{end}")
        else:
            lines.append(f" {json.dumps(k)}: {json.dumps(v)}{end}")
    return "\n".join(lines) + "\n}\n"


def differences(a, b, where="golden"):
    """Yields human-readable differences between two JSON values (floats compared to TOLERANCE)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            yield f"{where}: keys {sorted(a)} != {sorted(b)}"
            return
        for k in a:
            yield from differences(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            yield f"{where}: length {len(a)} != {len(b)}"
            return
        for i, (x, y) in enumerate(zip(a, b)):
            yield from differences(x, y, f"{where}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        if not (isinstance(a, (int, float)) and isinstance(b, (int, float))
                and (math.isclose(a, b, rel_tol=REL_TOLERANCE, abs_tol=TOLERANCE) or a == b)):
            yield f"{where}: {a!r} != {b!r}"
    elif a != b or type(a) is not type(b):
        yield f"{where}: {a!r} != {b!r}"


def intended_digit(image):
    """The digit an image was drawn as: its name's first character, or N in digit-N.png; else None."""
    name = Path(image).name
    first = name.removeprefix("digit-")[0]
    return int(first) if first.isdigit() else None


def summary(golden):
    default = [c for c in golden["cases"] if c["model"] == DEFAULT_MODEL]
    per_kind = Counter((c["format"], c["mode"]) for c in default)
    print("images per format and Pillow mode:",
          ", ".join(f"{f} {m}: {n}" for (f, m), n in sorted(per_kind.items())))
    labelled = [c for c in default if intended_digit(c["image"]) is not None]
    misses = [c for c in labelled if c["digit"] != intended_digit(c["image"])]
    print(f"{len(labelled) - len(misses)}/{len(labelled)} drawn digits classified as drawn by {DEFAULT_MODEL}"
          + "".join(f"\n  MISS {c['image']}: {c['digit']}" for c in misses))
    for s in golden["synthetic"]:
        print(f"  synthetic {s['pattern']:10s} {s['width']:4d}x{s['height']:<4d} {s['mode']:4s} seed {s['seed']}"
              f" -> {s['digit']} ({max(s['probabilities']):.3f}) with {s['model']}")
    print(f"{len(golden['cases'])} cases, {len(golden['synthetic'])} synthetic images, "
          f"{len(golden['unsupported'])} unsupported files, {len(golden['models'])} models")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="compare with the committed file instead of writing")
    p.add_argument("--quiet", action="store_true", help="no summary")
    a = p.parse_args()
    golden = generate()
    if not a.quiet:
        summary(golden)
    if not a.check:
        GOLDEN.write_text(dumps(golden))
        print(f"wrote {GOLDEN.relative_to(ROOT)}")
        return 0
    stored = json.loads(GOLDEN.read_text())
    for k in VERSION_KEYS:
        if stored.get(k) != golden[k]:
            print(f"note: {GOLDEN.name} was made with {k} {stored.get(k)}, this is {golden[k]}", file=sys.stderr)
    diffs = list(differences({k: v for k, v in stored.items() if k not in VERSION_KEYS},
                             {k: v for k, v in golden.items() if k not in VERSION_KEYS}))
    for d in diffs[:20]:
        print(d, file=sys.stderr)
    if diffs:
        print(f"{GOLDEN.relative_to(ROOT)} is not current ({len(diffs)} differences); "
              "run tools/make_golden.py", file=sys.stderr)
        return 1
    print(f"{GOLDEN.relative_to(ROOT)} is current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
