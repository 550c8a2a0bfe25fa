#!/usr/bin/python3
"""Writes the fuzz_onnx_model seeds: tiny ONNX models (a few KB each) on small inputs.

    /usr/bin/python3 tests/fuzz/make_onnx_seeds.py [OUT_DIR]   # default tests/fuzz/corpus/onnx_model

Exported by torch.onnx.export as users' files are (dynamic batch; opsets 9, 13 and 17), so the
mutations start from the node patterns the importer folds (the Shape/Gather/Concat chain before a
Reshape, the decomposed Hardswish/SiLU/GELU) as well as plain Conv/Gemm/pool graphs; one seed
carries digitinfer.json in metadata_props, one uses an operator the engine does not have.
"""
import io
import json
import pathlib
import sys
import warnings

import onnx
import torch
from torch import nn

torch.manual_seed(0)
OUT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent / "corpus" / "onnx_model")


class Flat(nn.Module):  # x.view(x.size(0), -1): the Shape/Gather/Unsqueeze/Concat/Reshape chain
    def forward(self, x):
        return x.view(x.size(0), -1)


def conv_net():
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), Flat(), nn.Linear(2 * 3 * 3, 3),
                         nn.LogSoftmax(dim=1))


def bn_net():
    return nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.Hardswish(), nn.AvgPool2d(2),
                         nn.Flatten(), nn.Linear(3 * 4 * 4, 4), nn.Softmax(dim=1))


def gap_net():
    return nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, groups=1), nn.SiLU(), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(4, 2))


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.GELU(), nn.Dropout(0.1), nn.Linear(8, 3))


def unsupported():
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 4), nn.Softplus())


def export(model, shape, opset):
    model.eval()
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.zeros(1, *shape), f, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, opset_version=opset)
    return f.getvalue()


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    seeds = {
        "conv-8x8-opset9.onnx": export(conv_net(), (1, 8, 8), 9),
        "conv-8x8-opset13.onnx": export(conv_net(), (1, 8, 8), 13),
        "bn-hardswish-8x8-opset17.onnx": export(bn_net(), (2, 8, 8), 17),
        "gap-silu-9x9-opset13.onnx": export(gap_net(), (1, 9, 9), 13),
        "mlp-gelu-4x4-opset13.onnx": export(mlp(), (1, 4, 4), 13),
        "softplus-refused-4x4.onnx": export(unsupported(), (1, 4, 4), 13),
    }
    meta = onnx.load_from_string(seeds["conv-8x8-opset13.onnx"])
    onnx.helper.set_model_props(meta, {"digitinfer.json": json.dumps(
        {"name": "seed", "mean": 0.5, "std": 0.25, "labels": ["a", "b", "c"], "output": "log_probabilities"})})
    seeds["conv-8x8-metadata.onnx"] = meta.SerializeToString()
    for name, data in seeds.items():
        (OUT / name).write_bytes(data)
        print(f"{OUT / name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
