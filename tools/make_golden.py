#!/usr/bin/python3
"""Writes tests/data/golden.json: the reference pipeline's output for every test image and model.

    /usr/bin/python3 tools/make_golden.py            # (re)write tests/data/golden.json
    /usr/bin/python3 tools/make_golden.py --check    # exit 1 if the committed file is not current

Every image in tests/data/images and examples/images is run through tools/reference.py with
models/convnet.{traced,scripted}.pt and every 1-channel model in tests/data/models (each model's
own input size, mean, std and output kind). --check regenerates in memory and compares: strings
and integers exactly, floats to 1e-6.
"""
import argparse
import hashlib
import json
import math
import sys
from pathlib import Path

import PIL
import torch
import torchvision
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests/data/golden.json"
IMAGE_DIRS = ("tests/data/images", "examples/images")
LOSSY_FORMATS = {"JPEG"}
TOLERANCE = 1e-6
VERSION_KEYS = ("torch", "torchvision", "pillow")


def image_paths():
    return [f"{d}/{p.name}" for d in IMAGE_DIRS for p in sorted((ROOT / d).iterdir()) if p.is_file()]


def model_paths():
    extra = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "tests/data/models").glob("*.pt"))
    return ["models/convnet.traced.pt", "models/convnet.scripted.pt"] + extra


def case(image, model_path, model, meta):
    with Image.open(ROOT / image) as img:
        mode, fmt, (w, h) = img.mode, img.format, img.size
        u8, x = reference.preprocess(img, meta)
    result = reference.infer(model, meta, x)
    return {
        "image": image, "model": model_path, "mode": mode, "format": fmt, "width": w, "height": h,
        "lossless": fmt not in LOSSY_FORMATS,
        "digit": result["digit"],
        "probabilities": result["probabilities"],
        "log_probabilities": result["log_probabilities"],
        "preprocessed": u8.reshape(-1).tolist(),
        "tensor_sha256": hashlib.sha256(x.numpy().astype("<f4").tobytes()).hexdigest(),
    }


def generate():
    torch.set_num_threads(1)
    models = []
    for path in model_paths():
        model, meta = reference.load_model(ROOT / path)
        if meta["input"]["channels"] == 1:
            models.append((path, model, meta))
    cases = [case(image, path, model, meta) for image in image_paths() for path, model, meta in models]
    return {"generator": "tools/make_golden.py", "torch": torch.__version__,
            "torchvision": torchvision.__version__, "pillow": PIL.__version__, "cases": cases}


def dumps(golden):
    """JSON with one case per line (reviewable diffs); floats keep full precision (repr)."""
    head = {k: v for k, v in golden.items() if k != "cases"}
    lines = [json.dumps(head, indent=1)[:-2] + ',\n "cases": [']
    lines += [" " + json.dumps(c, separators=(",", ":")) + "," for c in golden["cases"]]
    lines[-1] = lines[-1].rstrip(",")
    return "\n".join(lines) + "\n ]\n}\n"


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
                and (math.isclose(a, b, rel_tol=0, abs_tol=TOLERANCE) or a == b)):
            yield f"{where}: {a!r} != {b!r}"
    elif a != b or type(a) is not type(b):
        yield f"{where}: {a!r} != {b!r}"


def intended_digit(image):
    """The digit an image was drawn as: its name's first character, or N in digit-N.png; else None."""
    name = Path(image).name
    first = name.removeprefix("digit-")[0]
    return int(first) if first.isdigit() else None


def summary(golden):
    by_image = {}
    for c in golden["cases"]:
        by_image.setdefault(c["image"], []).append(c["digit"])
    models = list(dict.fromkeys(c["model"] for c in golden["cases"]))
    print("digit predicted per model:", ", ".join(f"[{i}] {m}" for i, m in enumerate(models)))
    right = labelled = 0
    for image, digits in by_image.items():
        want = intended_digit(image)
        mark = "" if want is None else ("ok" if digits[0] == want else f"MISS (drawn as {want})")
        labelled += want is not None
        right += want is not None and digits[0] == want
        print(f"  {image:52s} {' '.join(map(str, digits))}  {mark}")
    print(f"{right}/{labelled} drawn digits classified as drawn by {models[0]}; {len(golden['cases'])} cases")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="compare with the committed file instead of writing")
    p.add_argument("--quiet", action="store_true", help="no per-image summary")
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
