#!/usr/bin/python3
"""BMP mutation differential: mutated BMPs get Pillow 9.4's decision and pixels from the library.

    PYTHONPATH=bindings/python DIGITINFER_LIBRARY=build/libdigitinfer.so.1 \\
        /usr/bin/python3 tools/bmp_mutations.py [--per-file 60] [--seed 1] [--show 20]

The seeds are the BMPs of tests/data/images and those of
tests/data/pillow-corpus/bmp that Pillow reads (RLE escapes, OS/2 headers, odd palettes). Each
mutant is a seed with one to three mutations, drawn from a seeded random generator (the same
mutants on every run): a header field set to a value near its own or a boundary (pixel offset,
header size, width, height, planes, bit depth, compression, colours used, masks; OS/2's 16-bit
fields), a byte of the headers or anywhere replaced, an RLE escape written into the pixel data, a
few bytes inserted or deleted, the file cut. Each goes through Pillow + the reference preprocessing
(tools/reference.py) and through the library (the Python binding, DI_ERR_DECODE where it refuses);
a mutant where they disagree (one refuses, or the 28x28 differs) is a difference. Mutants Pillow
opens at more than 4 Mi pixels are skipped (Pillow would allocate them; none is small enough to
decode). Exit status 1 when there is a difference.
bindings/python/tests/test_bmp_mutations.py runs a sample of this in the test suite.
"""
import argparse
import io
import random
import struct
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "bindings/python"))

SKIP_PIXELS = 1 << 22
FIELDS_40 = [(10, "<I"), (14, "<I"), (18, "<i"), (22, "<i"), (26, "<H"), (28, "<H"), (30, "<I"), (34, "<I"),
             (46, "<I"), (54, "<I"), (58, "<I"), (62, "<I"), (66, "<I")]
FIELDS_12 = [(10, "<I"), (14, "<I"), (18, "<H"), (20, "<H"), (22, "<H"), (24, "<H")]
BOUNDARIES = [0, 1, 2, 3, 4, 8, 12, 14, 15, 16, 24, 26, 32, 40, 54, 64, 108, 124, 255, 256, 257, 1024, 0xFFFF,
              0x10000, 0x10001, 0x7FFFFFFF, 0x80000000, 0xFF000000, 0xFFFFFFFF]


def seeds():
    """{name: bytes}: the files mutated."""
    import json
    accepted = json.loads((ROOT / "tests/data/pillow-corpus/expected.json").read_text())["files"]
    paths = sorted((ROOT / "tests/data/images").glob("*.bmp"))
    paths += [ROOT / "tests/data/pillow-corpus" / k for k, v in sorted(accepted.items())
              if k.startswith("bmp/") and v["accepted"]]
    return {p.relative_to(ROOT).as_posix(): p.read_bytes() for p in paths}


def set_field(data, at, fmt, value):
    n = struct.calcsize(fmt)
    if len(data) < at + n:
        return data
    bits = 8 * n
    value &= (1 << bits) - 1
    if fmt[-1].islower() and value >= 1 << (bits - 1):
        value -= 1 << bits
    return data[:at] + struct.pack(fmt, value) + data[at + n:]


def near(rng, value, fmt):
    """A value for a field now holding `value`: close to it, its negation, or a boundary."""
    choice = rng.randrange(6)
    if choice == 0:
        return value + rng.choice([-3, -2, -1, 1, 2, 3])
    if choice == 1:
        return -value
    if choice == 2:
        return value ^ (0xFF << (8 * (struct.calcsize(fmt) - 1)))  # the high byte flipped
    if choice == 3:
        return rng.randrange(1 << (8 * struct.calcsize(fmt)))
    return rng.choice(BOUNDARIES)


def mutate_once(rng, data):
    op = rng.randrange(7)
    if len(data) < 3:
        return data
    if op <= 1:  # a header field (twice as likely as the rest)
        small = len(data) >= 18 and struct.unpack_from("<I", data, 14)[0] == 12
        at, fmt = rng.choice(FIELDS_12 if small else FIELDS_40)
        if len(data) < at + struct.calcsize(fmt):
            return data
        return set_field(data, at, fmt, near(rng, struct.unpack_from(fmt, data, at)[0], fmt))
    if op == 2:  # a byte of the headers (and palette start)
        i = rng.randrange(2, min(len(data), 200))
        return data[:i] + bytes([rng.randrange(256)]) + data[i + 1:]
    if op == 3:  # a byte anywhere
        i = rng.randrange(2, len(data))
        return data[:i] + bytes([rng.randrange(256)]) + data[i + 1:]
    if op == 4:  # an RLE escape or a count in the pixel data
        offset = struct.unpack_from("<I", data, 10)[0] if len(data) >= 14 else 0
        i = rng.randrange(min(offset, len(data) - 1), len(data))
        return data[:i] + bytes([rng.choice([0, 0, 1, 2, 3, 5, 255, rng.randrange(256)])]) + data[i + 1:]
    if op == 5:  # bytes inserted or deleted
        i, n = rng.randrange(2, len(data)), rng.randrange(1, 5)
        return data[:i] + bytes(rng.randrange(256) for _ in range(n)) + data[i:] if rng.randrange(2) else \
            data[:i] + data[i + n:]
    return data[:rng.randrange(2, len(data))]  # cut


def mutants(per_file, seed):
    """[(name, bytes)]: per_file mutants of every seed, deterministic for a seed."""
    out = []
    for name, data in seeds().items():
        rng = random.Random(f"{seed}:{name}")
        for k in range(per_file):
            m = data
            for _ in range(rng.choice([1, 1, 2, 3])):
                m = mutate_once(rng, m)
            out.append((f"{name}#{k}", m))
    return out


def pillow(data, skip_pixels=SKIP_PIXELS):
    """Pillow's 28x28 bytes, None where it refuses, "skip" for an image over skip_pixels (None: never)."""
    from PIL import Image
    import reference
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as img:
                if skip_pixels is not None and img.size[0] * img.size[1] > skip_pixels:
                    return "skip"
                return reference.preprocess(img)[0].tobytes()
    except Exception:  # every refusal counts: the library must say DI_ERR_DECODE
        return None


def library(model, data):
    import digitinfer
    try:
        return model.preprocess(data).image.tobytes()
    except digitinfer.Error as e:
        if e.status != "DI_ERR_DECODE":
            raise
        return None


def compare(model, cases):
    """(checked, skipped, [difference descriptions])."""
    checked, skipped, differences = 0, 0, []
    for name, data in cases:
        want = pillow(data)
        if want == "skip":
            skipped += 1
            continue
        got = library(model, data)
        checked += 1
        if want != got:
            what = ("Pillow refuses, the library decodes" if want is None else
                    "Pillow decodes, the library refuses" if got is None else "the pixels differ")
            differences.append(f"{name} ({len(data)} bytes): {what}")
    return checked, skipped, differences


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--per-file", type=int, default=60, help="mutants of each seed file (default 60)")
    p.add_argument("--seed", default="1", help="the generator's seed (default 1)")
    p.add_argument("--show", type=int, default=20, help="differences to print (default 20)")
    p.add_argument("--write", metavar="DIR", help="also write each differing mutant into DIR")
    a = p.parse_args()
    import digitinfer
    cases = mutants(a.per_file, a.seed)
    with digitinfer.Model(ROOT / "models/convnet.dimodel") as model:
        checked, skipped, differences = compare(model, cases)
    print(f"{len(seeds())} seed files, {len(cases)} mutants: {checked} compared, {skipped} skipped "
          f"(over {SKIP_PIXELS} pixels), {len(differences)} differ from Pillow")
    for d in differences[:a.show]:
        print("  " + d)
    if a.write:
        Path(a.write).mkdir(parents=True, exist_ok=True)
        wanted = {d.split(" ", 1)[0] for d in differences}
        for name, data in cases:
            if name in wanted:
                (Path(a.write) / name.replace("/", "_").replace("#", "-")).write_bytes(data)
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
