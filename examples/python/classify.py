#!/usr/bin/env python3
"""Classifies handwritten-digit images with the DigitInfer Python binding: no torch, no torchvision.

    python3 examples/python/classify.py [--model MODEL] [--threads N] IMAGE_OR_DIRECTORY...

Prints one line per image, `path<TAB>digit<TAB>probability`, or `path<TAB>error<TAB>why` for a file
that cannot be read or decoded; exit status 1 if any failed. A directory stands for its files,
sorted by name. The images go in batches of 256 to the library, which decodes and preprocesses
them on all cores (or --threads) exactly as the reference pipeline this replaces:

    model = torch.jit.load("convnet.scripted.pt").eval()
    for path in paths:
        x = TF.to_grayscale(Image.open(path))                        # Pillow
        x = TF.normalize(TF.to_tensor(TF.resize(x, (28, 28))), (0.1302,), (0.3069,))
        out = model(x.unsqueeze(0))                                   # torch
        print(path, int(out.argmax(1)), float(out.exp().max()))
"""
import argparse
import sys
from pathlib import Path
from typing import Iterator, List

import digitinfer

BATCH = 256
SHIPPED_MODEL = Path(__file__).resolve().parents[2] / "models/convnet.dimodel"  # in a checkout


def image_paths(arguments: List[str]) -> Iterator[Path]:
    """The files named, each directory replaced by its files, sorted."""
    for argument in map(Path, arguments):
        if argument.is_dir():
            yield from sorted(p for p in argument.iterdir() if p.is_file())
        else:
            yield argument  # a missing file gets its error line, as a corrupt one does


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("images", nargs="+", help="image files (PNG, JPEG, BMP, GIF, PGM/PPM, TGA) or directories")
    parser.add_argument("--model", default=str(SHIPPED_MODEL), help="a .dimodel, or TorchScript with the plugin")
    parser.add_argument("--threads", type=int, default=0, help="threads per batch (default 0: all cores)")
    args = parser.parse_args()

    paths = list(image_paths(args.images))
    failed = 0
    with digitinfer.Model(args.model, threads=args.threads) as model:
        for start in range(0, len(paths), BATCH):
            batch = paths[start:start + BATCH]
            for path, result in zip(batch, model.predict_batch(batch, errors="return")):
                if isinstance(result, digitinfer.DigitInferError):
                    failed += 1
                    print(f"{path}\terror\t{result}")
                else:
                    print(f"{path}\t{model.labels[result.digit]}\t{result.probability:.4f}")
    print(f"{len(paths) - failed} classified, {failed} failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
