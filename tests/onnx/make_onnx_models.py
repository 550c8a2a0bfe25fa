#!/usr/bin/python3
"""Writes the ONNX models tests/onnx/check_onnx.py loads (issue 15), into OUT_DIR:

    /usr/bin/python3 tests/onnx/make_onnx_models.py OUT_DIR

- convnet.onnx (tools/export_onnx.py: the reference ConvNet, opset 13, digitinfer.json in
  metadata_props) and convnet-opset{9,11,15,17}.onnx (the same, other opsets);
- zoo-<name>.onnx: every zoo model (tools/zoo.py) the native engine runs, with its trained
  weights (tests/data/zoo/<name>.traced.pt), exported by torch.onnx.export (dynamic batch, opset
  13; a few at 9 and 17 too), metadata as tools/make_zoo.py writes it; models torch cannot export
  are listed as skipped with why;
- unsupported-*.onnx and hostile-*.onnx: files the library must refuse with DI_ERR_MODEL and a
  message naming the reason.

manifest.json lists them all: {"parity": [{file, name, output}], "refused": [{file, expect}],
"skipped": [{name, why}]}. Needs torch and onnx (Debian: python3-torch, python3-onnx).
"""
import io
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import zoo  # noqa: E402
from export_model import DEFAULT_METADATA  # noqa: E402

OPSETS_FOR_ALL = [13]
MORE_OPSETS = {"lenet5_classic": [9, 17], "mlp_view": [9, 17], "mlp_gelu": [9, 17], "residual_cnn": [17],
               "pooling_cnn": [11, 17], "bn_cnn": [9, 15]}


def export_bytes(model, opset, output_name="output"):
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, torch.zeros(1, 1, 28, 28), f, input_names=["input"], output_names=[output_name],
                          dynamic_axes={"input": {0: "batch"}, output_name: {0: "batch"}},
                          opset_version=opset, do_constant_folding=True)
    return f.getvalue()


def with_metadata(data, meta):
    model = onnx.load_from_string(data)
    helper.set_model_props(model, {"digitinfer.json": json.dumps(meta, sort_keys=True)})
    return model.SerializeToString()


def write(out, name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


def zoo_models(out, manifest):
    for spec in zoo.ZOO:
        model = spec.make().eval()
        weights = torch.jit.load(os.path.join(ROOT, "tests", "data", "zoo", spec.name + ".traced.pt"), map_location="cpu")
        model.load_state_dict(weights.state_dict())
        meta = dict(DEFAULT_METADATA, name=spec.name)
        if spec.declared:
            meta["output"] = spec.output
        else:
            meta.pop("output")
        for opset in OPSETS_FOR_ALL + MORE_OPSETS.get(spec.name, []):
            try:
                data = with_metadata(export_bytes(model, opset), meta)
            except Exception as e:  # noqa: BLE001 - torch's exporter refuses: nothing to test
                manifest["skipped"].append({"name": f"{spec.name} (opset {opset})",
                                            "why": "torch.onnx.export: " + str(e).splitlines()[0][:160]})
                continue
            file = f"zoo-{spec.name}-opset{opset}.onnx"
            write(out, file, data)
            if spec.unsupported_ops:
                # Resize (upsample) and the decomposed LayerNorm (ReduceMean, Sub, Pow, Sqrt, ...).
                manifest["refused"].append({"file": file, "expect": ["unsupported: ", "Resize", "Pow"]})
            else:
                manifest["parity"].append({"file": file, "name": spec.name, "output": spec.output})


def convnet(out, manifest):
    for opset in [13, 9, 11, 15, 17]:
        file = "convnet.onnx" if opset == 13 else f"convnet-opset{opset}.onnx"
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "export_onnx.py"), "--opset", str(opset),
                        "-o", os.path.join(out, file)], check=True, stdout=subprocess.DEVNULL)
        manifest["parity"].append({"file": file, "name": "digitinfer-convnet", "output": "log_probabilities",
                                   "golden": True})
    # The same graph without metadata: the defaults (name "model", 28x28, mean 0.1302, std 0.3069).
    plain = onnx.load(os.path.join(out, "convnet.onnx"))
    del plain.metadata_props[:]
    write(out, "convnet-nometa.onnx", plain.SerializeToString())
    manifest["parity"].append({"file": "convnet-nometa.onnx", "name": "model", "output": "log_probabilities",
                               "golden": True})


class Extras(torch.nn.Module):
    """What neither the ConvNet nor the zoo exports: Clip (ReLU6, Hardtanh), a depthwise and a grouped
    conv, Mul/Sub by constants, GlobalAveragePool, HardSwish (opset 14+), SiLU, MatMul + Add, Softmax."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 8, 3, padding=1)
        self.dw = torch.nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
        self.grouped = torch.nn.Conv2d(8, 16, 3, stride=2, padding=1, groups=2)
        self.w = torch.nn.Parameter(torch.randn(16, 10) * 0.3)
        self.b = torch.nn.Parameter(torch.randn(10) * 0.1)

    def forward(self, x):
        x = torch.nn.functional.relu6(self.conv(x * 2.0 - 1.0))
        x = torch.nn.functional.hardtanh(self.dw(x), -1.0, 2.0)
        x = torch.nn.functional.hardswish(self.grouped(x))
        x = torch.nn.functional.silu(torch.nn.functional.adaptive_avg_pool2d(x, 1)).flatten(1)
        return torch.softmax(x @ self.w + self.b, dim=1)


def extras(out, manifest):
    torch.manual_seed(15)
    model = Extras().eval()
    meta = dict(DEFAULT_METADATA, name="extras", output="probabilities")
    for opset in [11, 14, 17]:
        file = f"extras-opset{opset}.onnx"
        write(out, file, with_metadata(export_bytes(model, opset), meta))
        manifest["parity"].append({"file": file, "name": "extras", "output": "probabilities"})


# ------------------------------------------------------------------ hostile and unsupported files

def tiny_graph(nodes, initializers, inputs=None, outputs=None, opset=13, **model_kw):
    inputs = inputs or [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 28, 28])]
    outputs = outputs or [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["N", 10])]
    g = helper.make_graph(nodes, "hostile", inputs, outputs, initializer=initializers)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], **model_kw)


def fc(name="w", rows=10, cols=784):
    return numpy_helper.from_array(np.full((rows, cols), 0.01, np.float32), name)


def mlp_nodes(last="out"):
    return [helper.make_node("Flatten", ["input"], ["flat"], axis=1),
            helper.make_node("Gemm", ["flat", "w"], [last], transB=1)]


def raw_tensor(name, dims, raw):
    """A float TensorProto built field by field: helper.make_tensor checks what these must not."""
    return TensorProto(name=name, data_type=TensorProto.FLOAT, dims=dims, raw_data=raw)


def hostile(out, manifest):
    def refused(name, model_or_bytes, *expect):
        data = model_or_bytes if isinstance(model_or_bytes, bytes) else model_or_bytes.SerializeToString()
        write(out, name, data)
        manifest["refused"].append({"file": name, "expect": list(expect)})

    good = open(os.path.join(out, "convnet.onnx"), "rb").read()
    refused("hostile-truncated.onnx", good[: len(good) // 2], "invalid ONNX model", "truncated or corrupt")
    refused("hostile-truncated-header.onnx", good[:40], "invalid ONNX model")

    # An initializer claiming 2^40 floats with 16 bytes of data.
    big = raw_tensor("w", [1 << 20, 1 << 20], b"\0" * 16)
    refused("hostile-huge-dims.onnx", tiny_graph(mlp_nodes(), [big]), "invalid ONNX model", "elements")
    neg = raw_tensor("w", [-1, 784], b"")
    refused("hostile-negative-dims.onnx", tiny_graph(mlp_nodes(), [neg]), "negative dimension")
    # dims say 10 x 784, the data is 5 floats (float_data) or 12 bytes (raw_data).
    short = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[10, 784], float_data=[0.5] * 5)
    refused("hostile-wrong-initializer-size.onnx", tiny_graph(mlp_nodes(), [short]), "has 5 values, its dims need 7840")
    short_raw = raw_tensor("w", [10, 784], b"\0" * 12)
    refused("hostile-wrong-raw-size.onnx", tiny_graph(mlp_nodes(), [short_raw]), "12 bytes of data")

    # External data: the weights "in" /etc/passwd.
    ext = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[10, 784], data_location=TensorProto.EXTERNAL)
    ext.external_data.add(key="location", value="/etc/passwd")
    refused("hostile-external-data.onnx", tiny_graph(mlp_nodes(), [ext]), "external data is refused")

    # A cycle (a reads b, b reads a) and a name nothing defines.
    cyc = [helper.make_node("Relu", ["b"], ["a"]), helper.make_node("Relu", ["a"], ["b"]),
           helper.make_node("Flatten", ["b"], ["flat"]), helper.make_node("Gemm", ["flat", "w"], ["out"], transB=1)]
    refused("hostile-cycle.onnx", tiny_graph(cyc, [fc()]), "reads 'b'", "a cycle")
    undef = [helper.make_node("Add", ["input", "nowhere"], ["x"]), helper.make_node("Flatten", ["x"], ["flat"]),
             helper.make_node("Gemm", ["flat", "w"], ["out"], transB=1)]
    refused("hostile-undefined-input.onnx", tiny_graph(undef, [fc()]), "reads 'nowhere'")
    dup = mlp_nodes() + [helper.make_node("Relu", ["out"], ["flat"])]
    refused("hostile-defined-twice.onnx", tiny_graph(dup, [fc()]), "defines 'flat' again")

    # Unsupported operators, all named in one message.
    un = [helper.make_node("LpNormalization", ["input"], ["n"]), helper.make_node("Flatten", ["n"], ["f"]),
          helper.make_node("Gemm", ["f", "w"], ["g"], transB=1), helper.make_node("Softplus", ["g"], ["out"])]
    refused("unsupported-ops.onnx", tiny_graph(un, [fc()]), "unsupported: ", "LpNormalization (not implemented by the native engine)",
            "Softplus (not implemented by the native engine)")
    custom = [helper.make_node("FusedConv", ["input"], ["c"], domain="com.microsoft")] + \
             [helper.make_node("Flatten", ["c"], ["flat"]), helper.make_node("Gemm", ["flat", "w"], ["out"], transB=1)]
    m = tiny_graph(custom, [fc()])
    m.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    refused("unsupported-domain.onnx", m, "com.microsoft.FusedConv")
    training = [helper.make_node("Dropout", ["input", "ratio", "yes"], ["d"]), helper.make_node("Flatten", ["d"], ["flat"]),
                helper.make_node("Gemm", ["flat", "w"], ["out"], transB=1)]
    refused("unsupported-dropout-training.onnx",
            tiny_graph(training, [fc(), numpy_helper.from_array(np.array(0.5, np.float32), "ratio"),
                                  numpy_helper.from_array(np.array(True), "yes")]),
            "Dropout (dropout in training mode)")

    # A folded shape constant that doubles 40 times (Concat of itself): bounded, not 2^40 values.
    nodes = [helper.make_node("Constant", [], ["s0"], value=numpy_helper.from_array(np.array([1, -1], np.int64)))]
    for k in range(40):
        nodes.append(helper.make_node("Concat", [f"s{k}", f"s{k}"], [f"s{k + 1}"], axis=0))
    nodes += [helper.make_node("Reshape", ["input", "s40"], ["flat"]), helper.make_node("Gemm", ["flat", "w"], ["out"], transB=1)]
    refused("hostile-concat-bomb.onnx", tiny_graph(nodes, [fc()]), "Concat (a computed constant of over 4096 values)")

    # Attributes out of range, shapes that do not fit, NaN weights.
    conv_w = numpy_helper.from_array(np.full((4, 1, 3, 3), 0.1, np.float32), "cw")
    conv = [helper.make_node("Conv", ["input", "cw"], ["c"], strides=[1 << 40, 1], pads=[-5, 0, 0, 0]),
            helper.make_node("Flatten", ["c"], ["flat"]), helper.make_node("Gemm", ["flat", "w"], ["out"], transB=1)]
    refused("hostile-conv-attributes.onnx", tiny_graph(conv, [conv_w, fc()]), "Conv (", "out of range")
    mismatch = [helper.make_node("Flatten", ["input"], ["flat"]), helper.make_node("Gemm", ["flat", "w"], ["out"], transB=1)]
    refused("hostile-gemm-shape.onnx", tiny_graph(mismatch, [fc(cols=100)]), "Gemm (a 100-feature weight on 784 features)")
    nan = numpy_helper.from_array(np.full((10, 784), np.nan, np.float32), "w")
    refused("hostile-nan-weights.onnx", tiny_graph(mlp_nodes(), [nan]), "Gemm (Linear: weight value 0 is NaN)")
    huge_kernel = numpy_helper.from_array(np.zeros((1, 1, 30, 30), np.float32), "cw")
    k = [helper.make_node("Conv", ["input", "cw"], ["c"]), helper.make_node("Flatten", ["c"], ["flat"]),
         helper.make_node("Gemm", ["flat", "w"], ["out"], transB=1)]
    refused("hostile-kernel-larger-than-input.onnx", tiny_graph(k, [huge_kernel, fc()]), "Conv (", "window larger than its padded input")

    # Inputs and outputs: none, two, a 2-D or int input, a fixed batch of 8, huge dims; opset 99; no graph.
    refused("hostile-no-graph.onnx", helper.make_model(helper.make_graph([], "g", [], []), opset_imports=[helper.make_opsetid("", 13)]),
            "the graph has 0 outputs, not one")
    two = [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 28, 28]),
           helper.make_tensor_value_info("other", TensorProto.FLOAT, ["N", 1, 28, 28])]
    refused("hostile-two-inputs.onnx", tiny_graph(mlp_nodes(), [fc()], inputs=two), "more than one input")
    ints = [helper.make_tensor_value_info("input", TensorProto.INT64, ["N", 1, 28, 28])]
    refused("hostile-int-input.onnx", tiny_graph(mlp_nodes(), [fc()], inputs=ints), "is not float32")
    wide = [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 1 << 40, 28])]
    refused("hostile-input-dims.onnx", tiny_graph(mlp_nodes(), [fc()], inputs=wide), "not in [1, 4096]")
    fixed = [helper.make_tensor_value_info("input", TensorProto.FLOAT, [8, 1, 28, 28])]
    refused("hostile-fixed-batch.onnx", tiny_graph(mlp_nodes(), [fc()], inputs=fixed), "fixed batch size of 8")
    refused("hostile-opset.onnx", tiny_graph(mlp_nodes(), [fc()], opset=99), "opset 99 is not supported")
    outs = [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["N", 10]),
            helper.make_tensor_value_info("flat", TensorProto.FLOAT, ["N", 784])]
    refused("hostile-two-outputs.onnx", tiny_graph(mlp_nodes(), [fc()], outputs=outs), "2 outputs, not one")
    # Nested subgraphs past protobuf's recursion limit, as bytes (helper would recurse in Python too).
    empty = helper.make_graph([], "e", [], [])
    branch = empty
    for _ in range(80):  # one nested branch per level (two would double the file each level)
        node = helper.make_node("If", ["c"], ["o"], then_branch=branch, else_branch=empty)
        branch = helper.make_graph([node], "b", [], [])
    deep = tiny_graph([helper.make_node("If", ["c"], ["o"], then_branch=branch, else_branch=empty)] + mlp_nodes(), [fc()])
    refused("hostile-deep-nesting.onnx", deep, "invalid ONNX model")
    # Metadata that does not fit the graph.
    meta = tiny_graph(mlp_nodes(), [fc()])
    helper.set_model_props(meta, {"digitinfer.json": json.dumps({"labels": ["a", "b"]})})
    refused("hostile-metadata-labels.onnx", meta, "metadata lists 2 labels but the model has 10 classes")
    lied = tiny_graph(mlp_nodes("g") + [helper.make_node("Relu", ["g"], ["out"])], [fc()])
    helper.set_model_props(lied, {"digitinfer.json": json.dumps({"output": "log_probabilities"})})
    refused("hostile-metadata-output.onnx", lied, "says it returns log_probabilities, but its graph ends with no (log_)softmax")


def main():
    out = os.path.abspath(sys.argv[1])
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    manifest = {"parity": [], "refused": [], "skipped": []}
    convnet(out, manifest)
    zoo_models(out, manifest)
    extras(out, manifest)
    hostile(out, manifest)
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"{len(manifest['parity'])} models for parity, {len(manifest['refused'])} to refuse, "
          f"{len(manifest['skipped'])} skipped: " + "; ".join(f"{s['name']}: {s['why']}" for s in manifest["skipped"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
