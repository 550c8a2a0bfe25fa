#!/usr/bin/python3
"""The reference pipeline of SPEC section 2, as a module and a command.

    /usr/bin/python3 tools/reference.py --model models/convnet.traced.pt IMAGE...

prints one JSON object per image: {"image", "digit", "probabilities", "log_probabilities"}.
Everything "correct" in DigitInfer is defined by what this file computes.

Output kind: the metadata's "output" when the model declares one; otherwise detected from each
output row (SPEC section 2: raw logits must be detected): log-probabilities if logsumexp is 0
(within DETECT_TOLERANCE), else probabilities if all are in [0,1] and sum to 1, else logits.
"""
import argparse
import json
import sys

import numpy as np
import torch
import torchvision.transforms.functional as TF
from PIL import Image

METADATA_FILE = "digitinfer.json"  # same name as tools/export_model.py writes
DEFAULT_META = {
    "input": {"channels": 1, "height": 28, "width": 28},
    "mean": [0.1302],
    "std": [0.3069],
    "output": "log_probabilities",
}
OUTPUT_KINDS = ("log_probabilities", "logits", "probabilities")
DETECT_TOLERANCE = 1e-3


def load_model(path):
    """Returns (TorchScript module in eval mode, metadata dict with SPEC defaults filled in).

    meta["output_declared"] tells whether "output" came from the file or is the default.
    """
    extra = {METADATA_FILE: ""}
    model = torch.jit.load(str(path), map_location="cpu", _extra_files=extra)
    model.eval()
    meta = dict(DEFAULT_META)
    declared = json.loads(extra[METADATA_FILE]) if extra[METADATA_FILE] else {}
    meta.update(declared)
    meta["output_declared"] = "output" in declared
    if meta["output"] not in OUTPUT_KINDS:
        raise ValueError(f"{path}: unknown output kind {meta['output']!r}")
    return model, meta


def preprocess(img, meta=DEFAULT_META):
    """Returns (uint8 HxW array fed to to_tensor, normalized float32 tensor [1,H,W])."""
    size = (meta["input"]["height"], meta["input"]["width"])
    g = TF.to_grayscale(img)
    r = TF.resize(g, size)
    t = TF.normalize(TF.to_tensor(r), meta["mean"], meta["std"])
    return np.asarray(r, dtype=np.uint8), t


def output_kind(meta, out):
    """The kind of one output row [1,K]: declared in the metadata, else detected (see top)."""
    if meta.get("output_declared", True):
        return meta["output"]
    out = out.double()
    if abs(float(torch.logsumexp(out, 1))) <= DETECT_TOLERANCE:
        return "log_probabilities"
    if bool(((out >= 0) & (out <= 1)).all()) and abs(float(out.sum()) - 1) <= DETECT_TOLERANCE:
        return "probabilities"
    return "logits"


def infer(model, meta, x):
    """Runs the model on one preprocessed tensor [C,H,W]; returns digit and both distributions."""
    with torch.no_grad():
        out = model(x.unsqueeze(0))
        kind = output_kind(meta, out)
        if kind == "logits":
            out = torch.log_softmax(out, dim=1)
        elif kind == "probabilities":
            out = torch.log(out)
    return {
        "digit": int(out.argmax(1)),
        "probabilities": out.exp()[0].tolist(),
        "log_probabilities": out[0].tolist(),
    }


def predict(model, meta, img):
    """The whole pipeline on one PIL image."""
    return infer(model, meta, preprocess(img, meta)[1])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="TorchScript file")
    p.add_argument("images", nargs="+")
    a = p.parse_args()
    torch.set_num_threads(1)
    model, meta = load_model(a.model)
    for path in a.images:
        with Image.open(path) as img:
            result = predict(model, meta, img)
        print(json.dumps({"image": path, **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
