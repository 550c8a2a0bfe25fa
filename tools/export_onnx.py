#!/usr/bin/python3
"""Exports the ConvNet of SPEC section 3 to ONNX, for the ONNX Runtime side of the benchmarks.

    /usr/bin/python3 tools/export_onnx.py [--state-dict models/convnet.state_dict.pth]
                                          [--check models/convnet.traced.pt] [-o build-bench/convnet.onnx]

Rebuilds the architecture from tools/convnet.py, loads the trained weights (the same ones
models/convnet.traced.pt carries), and writes an ONNX graph whose batch axis is dynamic
("batch" on both the input "input" [N,1,28,28] and the output "log_probabilities" [N,10]).
torch.onnx.export serializes by itself: the `onnx` package is not needed.
With --check (the default), the weights are first compared with the TorchScript model's and
both networks' outputs on a test batch must agree to 1e-5.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convnet import ConvNet  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build(state_dict_path):
    """The ConvNet with the trained weights, in eval mode."""
    model = ConvNet()
    model.load_state_dict(torch.load(state_dict_path, map_location="cpu"))
    return model.eval()


def check_against(model, torchscript_path):
    """Raises if the TorchScript model's outputs differ from `model`'s by more than 1e-5."""
    scripted = torch.jit.load(torchscript_path, map_location="cpu").eval()
    x = torch.linspace(-0.5, 2.8, 4 * 28 * 28).reshape(4, 1, 28, 28)
    with torch.no_grad():
        diff = float((model(x) - scripted(x)).abs().max())
    if diff > 1e-5:
        raise SystemExit(f"{torchscript_path} and the state dict disagree by {diff:g}: not the same weights")
    return diff


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--state-dict", default=os.path.join(ROOT, "models", "convnet.state_dict.pth"))
    p.add_argument("--check", default=os.path.join(ROOT, "models", "convnet.traced.pt"),
                   help="TorchScript model that must compute the same function ('' to skip)")
    p.add_argument("-o", "--output", default=os.path.join(ROOT, "build-bench", "convnet.onnx"))
    p.add_argument("--opset", type=int, default=13)
    a = p.parse_args()

    model = build(a.state_dict)
    if a.check:
        diff = check_against(model, a.check)
        print(f"weights match {os.path.relpath(a.check, ROOT)} (max |diff| {diff:.2g})", file=sys.stderr)
    os.makedirs(os.path.dirname(os.path.abspath(a.output)), exist_ok=True)
    torch.onnx.export(
        model, torch.zeros(1, 1, 28, 28), a.output,
        input_names=["input"], output_names=["log_probabilities"],
        dynamic_axes={"input": {0: "batch"}, "log_probabilities": {0: "batch"}},
        opset_version=a.opset, do_constant_folding=True)
    print(a.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
