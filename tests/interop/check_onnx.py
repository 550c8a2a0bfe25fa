#!/usr/bin/python3
"""tools/export_onnx.py against ONNX Runtime and DigitInfer:

    check_onnx.py --work DIR --venv DIR [--torchscript]

exports models/convnet.state_dict.pth to DIR/convnet.onnx, then checks that
- onnx.checker.check_model (full) passes and metadata_props holds "digitinfer.json", equal to the
  metadata of models/convnet.traced.pt; the batch axis of input and output is the symbol "batch";
- ONNX Runtime (pip-installed into the virtual environment --venv, created on first use and kept
  as a cache; it must not bring torch) sees the same metadata, and on the golden images'
  preprocessed tensors (the reference pipeline's, tools/reference.py), as one batch and one by
  one, agrees with DigitInfer (models/convnet.dimodel; with --torchscript also
  models/convnet.traced.pt): digits equal, probabilities within 1e-5.
ONNX Runtime runs in its own process: the venv's protobuf would shadow the one Debian's onnx needs.
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from interop_common import ROOT, SKIP, digitinfer_model, expect_close, fresh_dir, golden_cases  # skips without torch

import numpy as np  # noqa: E402

# What runs inside the venv: the model on the inputs, as one batch and one by one.
ORT_SCRIPT = """
import json, sys, numpy as np, onnxruntime as ort
onnx_path, inputs, outputs = sys.argv[1:4]
s = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
x = np.load(inputs)
batch = s.run(None, {"input": x})[0]
single = np.concatenate([s.run(None, {"input": x[i:i + 1]})[0] for i in range(len(x))])
np.savez(outputs, batch=batch, single=single)
print(json.dumps({"version": ort.__version__, "metadata": s.get_modelmeta().custom_metadata_map}))
"""


def ort_python(venv):
    """The venv's python with onnxruntime, made once from this python (--system-site-packages: its numpy)."""
    py = venv / "bin/python"
    if py.exists() and subprocess.run([str(py), "-c", "import onnxruntime"], capture_output=True).returncode == 0:
        return py
    subprocess.run([sys.executable, "-m", "venv", "--clear", "--system-site-packages", str(venv)],
                   check=True, timeout=120)
    env = dict(os.environ, PIP_CACHE_DIR=str(venv.parent / "pip-cache"), PIP_DISABLE_PIP_VERSION_CHECK="1")
    pip = subprocess.run([str(py), "-m", "pip", "install", "--timeout", "60", "--retries", "2", "onnxruntime", "numpy"],
                         timeout=480, env=env)
    if pip.returncode != 0:
        raise SystemExit(f"FAIL: pip install onnxruntime into {venv} failed (exit {pip.returncode}): PyPI unreachable?")
    own = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert not (Path(own) / "torch").exists(), "pip install onnxruntime brought torch into the venv"
    return py


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", required=True, type=Path)
    p.add_argument("--venv", required=True, type=Path)
    p.add_argument("--torchscript", action="store_true", help="also run models/convnet.traced.pt")
    a = p.parse_args()
    try:
        import onnx
    except ImportError as e:
        print(f"skip: {sys.executable} has no onnx (apt-get install python3-onnx): {e}")
        return SKIP
    import torch
    from PIL import Image
    import reference  # tools/reference.py
    work = fresh_dir(a.work)
    torch.set_num_threads(1)

    onnx_path = work / "convnet.onnx"
    subprocess.run([sys.executable, str(ROOT / "tools/export_onnx.py"), "-o", str(onnx_path)],
                   check=True, timeout=300, cwd=work)
    model = onnx.load(str(onnx_path))
    onnx.checker.check_model(model, full_check=True)
    props = {p.key: p.value for p in model.metadata_props}
    _, want_meta = reference.load_model(ROOT / "models/convnet.traced.pt")
    meta = json.loads(props["digitinfer.json"])
    for field in ("name", "input", "mean", "std", "labels", "output"):
        assert meta[field] == want_meta[field], f"metadata_props {field}: {meta[field]!r} != {want_meta[field]!r}"
    for v in (model.graph.input[0], model.graph.output[0]):
        dims = v.type.tensor_type.shape.dim
        assert dims[0].dim_param == "batch", f"{v.name}: batch axis {dims[0]}"
    print(f"checker passes; metadata_props digitinfer.json = {props['digitinfer.json']}")

    cases = golden_cases()
    tensors = []
    for image, _, _ in cases:
        with Image.open(image) as img:
            tensors.append(reference.preprocess(img, want_meta)[1].numpy())
    x = np.stack(tensors).astype(np.float32)
    np.save(work / "inputs.npy", x)
    ort = subprocess.run([str(ort_python(a.venv)), "-c", ORT_SCRIPT, str(onnx_path), str(work / "inputs.npy"),
                          str(work / "ort.npz")], capture_output=True, text=True, timeout=300)
    assert ort.returncode == 0, ort.stderr
    seen = json.loads(ort.stdout.splitlines()[-1])
    assert seen["metadata"] == props, f"ONNX Runtime sees metadata {seen['metadata']}"
    out = np.load(work / "ort.npz")
    print(f"ONNX Runtime {seen['version']}: {len(x)} golden inputs")
    ort_p = np.exp(out["batch"].astype(np.float64))
    expect_close("ONNX Runtime one by one vs batched", out["single"].argmax(1), np.exp(out["single"]),
                 ort_p.argmax(1), ort_p)
    expect_close("ONNX Runtime vs golden.json", ort_p.argmax(1), ort_p, [c[1] for c in cases], [c[2] for c in cases])
    models = [ROOT / "models/convnet.dimodel"] + ([ROOT / "models/convnet.traced.pt"] if a.torchscript else [])
    for path in models:
        with digitinfer_model(path) as m:
            b = m.predict_tensor(x, count=len(x))
            expect_close(f"DigitInfer {path.name} ({m.info.engine.c_name}) vs ONNX Runtime", b.digits, b.probabilities,
                         ort_p.argmax(1), ort_p)
    print(json.dumps({"onnx": str(onnx_path), "result": "ok"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
