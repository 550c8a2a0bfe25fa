"""Exports a ConvNet state dict as TorchScript (traced and scripted) with metadata.

The metadata travels inside the TorchScript archive as the extra file
`digitinfer.json`, which the library reads at load time.
"""
import json
from pathlib import Path

import torch

from convnet import ConvNet

METADATA_FILE = "digitinfer.json"
DEFAULT_METADATA = {
    "format_version": 1,
    "name": "digitinfer-convnet",
    "input": {"channels": 1, "height": 28, "width": 28},
    "mean": [0.1302],
    "std": [0.3069],
    "labels": [str(d) for d in range(10)],
    "output": "log_probabilities",
}


def export(model: torch.nn.Module, out_dir: Path, stem: str, metadata=None) -> None:
    """Writes <stem>.traced.pt and <stem>.scripted.pt into out_dir."""
    model = model.eval()
    meta = dict(DEFAULT_METADATA if metadata is None else metadata)
    extra = {METADATA_FILE: json.dumps(meta, indent=2, sort_keys=True)}
    inp = meta["input"]
    example = torch.ones(1, inp["channels"], inp["height"], inp["width"])
    out_dir.mkdir(parents=True, exist_ok=True)
    traced = torch.jit.trace(model, example)
    torch.jit.save(traced, str(out_dir / f"{stem}.traced.pt"), _extra_files=extra)
    scripted = torch.jit.script(model)
    torch.jit.save(scripted, str(out_dir / f"{stem}.scripted.pt"), _extra_files=extra)


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("state_dict", type=Path)
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "models")
    p.add_argument("--stem", default="convnet")
    a = p.parse_args()
    m = ConvNet()
    m.load_state_dict(torch.load(a.state_dict))
    export(m, a.out, a.stem)
