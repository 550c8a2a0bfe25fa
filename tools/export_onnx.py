#!/usr/bin/python3
"""Exports the ConvNet of SPEC section 3 to ONNX, for ONNX Runtime users and the benchmarks.

    /usr/bin/python3 tools/export_onnx.py [--state-dict models/convnet.state_dict.pth]
                                          [--check models/convnet.traced.pt] [-o build-bench/convnet.onnx]

Rebuilds the architecture from tools/convnet.py, loads the trained weights (the same ones
models/convnet.traced.pt carries; any .pth state_dict tools/pth_to_torchscript.py reads, legacy
format included), and writes an ONNX graph whose batch axis is dynamic ("batch" on both the
input "input" [N,1,28,28] and the output "log_probabilities" [N,10]).
With --check (the default), the weights are first compared with the TorchScript model's and
both networks' outputs on a test batch must agree to 1e-5.

The model's metadata (name, input, mean, std, labels, output kind) goes into the ONNX model's
metadata_props as the entry "digitinfer.json": the same JSON object the TorchScript extra file of
that name holds (docs/models.md), taken from the --check model, else tools/export_model.py's
defaults. ONNX Runtime shows it as `session.get_modelmeta().custom_metadata_map["digitinfer.json"]`.
The graph then has to pass onnx.checker.check_model (full check, with shape inference).
Both need the `onnx` package (Debian: python3-onnx); without it the graph is written as
torch.onnx.export makes it, without metadata and unchecked, and a warning says so.
"""
import argparse
import io
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_model  # noqa: E402
from pth_to_torchscript import ConversionError, load_convnet  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build(state_dict_path):
    """The ConvNet with the trained weights, in eval mode."""
    try:
        return load_convnet(state_dict_path)
    except ConversionError as e:
        raise SystemExit(f"error: {e}")


def metadata_of(torchscript_path):
    """The digitinfer.json of a TorchScript file, else the defaults tools/export_model.py writes."""
    extra = {export_model.METADATA_FILE: ""}
    if torchscript_path:
        torch.jit.load(torchscript_path, map_location="cpu", _extra_files=extra)
    text = extra[export_model.METADATA_FILE]
    return json.loads(text) if text else dict(export_model.DEFAULT_METADATA)


def finish(onnx_bytes, meta):
    """The serialized graph with the metadata in metadata_props, checked; unchanged without `onnx`."""
    try:
        import onnx
    except ImportError:
        print("warning: no onnx package (apt-get install python3-onnx): written without metadata_props, "
              "unchecked", file=sys.stderr)
        return onnx_bytes
    model = onnx.load_from_string(onnx_bytes)
    onnx.helper.set_model_props(model, {export_model.METADATA_FILE: json.dumps(meta, sort_keys=True)})
    model.doc_string = "DigitInfer " + meta.get("name", "model") + " (tools/export_onnx.py)"
    onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString()


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
    graph = io.BytesIO()
    torch.onnx.export(
        model, torch.zeros(1, 1, 28, 28), graph,
        input_names=["input"], output_names=["log_probabilities"],
        dynamic_axes={"input": {0: "batch"}, "log_probabilities": {0: "batch"}},
        opset_version=a.opset, do_constant_folding=True)
    data = finish(graph.getvalue(), metadata_of(a.check))  # nothing is written unless it passes the checker
    os.makedirs(os.path.dirname(os.path.abspath(a.output)), exist_ok=True)
    with open(a.output, "wb") as f:
        f.write(data)
    print(a.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
