"""Reads the MNIST IDX files (gzip-compressed) from ../shared/data/mnist/."""
import gzip
import struct
from pathlib import Path

import numpy as np

IMAGE_MAGIC, LABEL_MAGIC = 0x00000803, 0x00000801


def _read(path: Path, magic: int) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        data = f.read()
    got, count = struct.unpack(">ii", data[:8])
    if got != magic:
        raise ValueError(f"{path}: bad IDX magic {got:#x}")
    if magic == IMAGE_MAGIC:
        rows, cols = struct.unpack(">ii", data[8:16])
        return np.frombuffer(data, np.uint8, offset=16).reshape(count, rows, cols)
    return np.frombuffer(data, np.uint8, offset=8).reshape(count)


def load(directory: Path, split: str):
    """Returns (images uint8 [N,28,28], labels uint8 [N]) for split 'train' or 't10k'."""
    directory = Path(directory)
    images = _read(directory / f"{split}-images-idx3-ubyte.gz", IMAGE_MAGIC)
    labels = _read(directory / f"{split}-labels-idx1-ubyte.gz", LABEL_MAGIC)
    return images, labels
