#!/usr/bin/python3
"""Pillow's decision on every file of tests/data/pillow-corpus: what the library must match.

    /usr/bin/python3 tools/pillow_corpus.py --write   # (re)write tests/data/pillow-corpus/expected.json
    /usr/bin/python3 tools/pillow_corpus.py --check   # exit 1 if the committed file is not current

The corpus is small files (each under 80 KB) in one folder per format: tests/data/pillow-corpus/
<format>/<name> (png, jpeg, gif, bmp, tga, ...), hostile or odd inputs that are decoded exactly as
Pillow 9.4 decodes them or refused where Pillow refuses them. expected.json maps each file, by its
path below the corpus folder ("gif/lzw-cut.gif"), to
  {"accepted": true,  "preprocessed": [784 ints]}   Image.open + the reference preprocessing
                                                    (tools/reference.py: convert("L"), 28x28 resize)
                                                    succeed: the 28x28 uint8 image, rows packed;
  {"accepted": false, "error": "Pillow's message"}  Image.open or the preprocessing raises: the
                                                    library must refuse the file with DI_ERR_DECODE.
tests/test_pillow_corpus.cpp holds the library to it; a CTest test runs --check.
"""
import argparse
import json
import os
import sys
import warnings
from pathlib import Path

import PIL
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests/data/pillow-corpus"
EXPECTED = CORPUS / "expected.json"
MAX_FILE_BYTES = 80 * 1024


def corpus_files():
    """Paths below CORPUS of every corpus file, sorted (one folder per format)."""
    return sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.glob("*/*") if p.is_file())


def pillow_decision(path):
    """Pillow's decision on one file: accepted with the preprocessed 28x28, or its error message.

    The file is opened as a file object, not by its path: Pillow then reads it as it reads bytes
    (Image.open(BytesIO), the reference), where a path lets it memory-map raw "L" and "P" pixels,
    which reads BMP rows otherwise (no "codec configuration error" for rows longer than their
    stride). The object is named by a path relative to the repository, so that messages naming it
    ("cannot identify image file <_io.BufferedReader name='tests/...'>") are the same on every machine.
    """
    try:
        with warnings.catch_warnings():  # Pillow's warnings (DecompressionBombWarning, tRNS) do not refuse
            warnings.simplefilter("ignore")
            with open(path, "rb") as f, Image.open(f) as img:
                u8, _ = reference.preprocess(img)
    except Exception as e:  # every exception Pillow raises is a refusal: the library says DI_ERR_DECODE
        return {"accepted": False, "error": f"{type(e).__name__}: {e}"}
    return {"accepted": True, "preprocessed": u8.reshape(-1).tolist()}


def generate():
    os.chdir(ROOT)
    out = {}
    for name in corpus_files():
        size = (CORPUS / name).stat().st_size
        if size > MAX_FILE_BYTES:
            raise SystemExit(f"{name}: {size} bytes; corpus files stay under {MAX_FILE_BYTES}")
        out[name] = pillow_decision(Path(os.path.relpath(CORPUS / name, ROOT)).as_posix())
    return {"generator": "tools/pillow_corpus.py", "pillow": PIL.__version__, "files": out}


def dumps(expected):
    """One file per line: reviewable diffs."""
    rows = [f"  {json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}" for k, v in expected["files"].items()]
    return (f'{{\n "generator": {json.dumps(expected["generator"])},\n "pillow": {json.dumps(expected["pillow"])},\n'
            f' "files": {{\n' + ",\n".join(rows) + "\n }\n}\n")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="write expected.json")
    mode.add_argument("--check", action="store_true", help="exit 1 unless expected.json is current")
    a = p.parse_args()
    text = dumps(generate())
    if a.write:
        EXPECTED.write_text(text)
        print(f"wrote {EXPECTED.relative_to(ROOT)} ({len(json.loads(text)['files'])} files)")
        return 0
    committed = EXPECTED.read_text() if EXPECTED.exists() else ""
    if committed == text:
        print(f"{EXPECTED.relative_to(ROOT)} is current")
        return 0
    old = json.loads(committed)["files"] if committed else {}
    new = json.loads(text)["files"]
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            print(f"{name}: committed {json.dumps(old.get(name))[:120]}, Pillow now {json.dumps(new.get(name))[:120]}")
    print(f"{EXPECTED.relative_to(ROOT)} is not current: run /usr/bin/python3 tools/pillow_corpus.py --write")
    return 1


if __name__ == "__main__":
    sys.exit(main())
