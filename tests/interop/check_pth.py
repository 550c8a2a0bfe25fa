#!/usr/bin/python3
"""tools/pth_to_torchscript.py end to end, one scenario per run:

    check_pth.py {zip,legacy,module,invalid} --work DIR --cli BUILD/digitinfer

Each writes its .pth files from models/convnet.state_dict.pth into DIR, converts them, and holds
every produced file to the golden values of models/convnet.traced.pt (the same weights): the
TorchScript files through tools/reference.py (the Python reference pipeline) and through
DigitInfer, the .dimodel through DigitInfer — digits equal, probabilities within 1e-5.
Files that must be refused are refused with the reason, naming the key, and write nothing.
"""
import argparse
import json
import os
import subprocess
import sys
import zipfile

from interop_common import ROOT, digitinfer_model, expect_close, fresh_dir, golden_cases  # skips without torch

import torch  # noqa: E402
from PIL import Image  # noqa: E402
import reference  # noqa: E402  (tools/reference.py)
from convnet import ConvNet  # noqa: E402

TOOL = ROOT / "tools/pth_to_torchscript.py"
STATE_DICT = ROOT / "models/convnet.state_dict.pth"


def convert(a, pth, *flags, env=None):
    """Runs the tool on `pth` into a directory of its own; returns (process, that directory)."""
    out = fresh_dir(a.work / f"out-{pth.stem}")
    r = subprocess.run([sys.executable, str(TOOL), str(pth), "-o", str(out), "--cli", a.cli, *flags],
                       capture_output=True, text=True, timeout=300, env=env, cwd=a.work)
    return r, out


def converts(a, pth, *flags, env=None):
    """Converts, then checks every output against the reference (see the top)."""
    r, out = convert(a, pth, *flags, env=env)
    assert r.returncode == 0, f"{pth.name}: exit {r.returncode}\n{r.stderr}"
    stem = pth.stem
    files = [out / f"{stem}.traced.pt", out / f"{stem}.scripted.pt", out / f"{stem}.dimodel"]
    assert r.stdout.split() == [str(f) for f in files], r.stdout
    cases = golden_cases()
    want_digits = [c[1] for c in cases]
    want_p = [c[2] for c in cases]
    print(f"{pth.name} -> {', '.join(f.name for f in files)}")
    for ts in files[:2]:
        model, meta = reference.load_model(ts)
        assert meta["output_declared"] and meta["name"] == stem, f"{ts.name}: metadata {meta}"
        results = []
        for image, _, _ in cases:
            with Image.open(image) as img:
                results.append(reference.predict(model, meta, img))
        expect_close(f"reference pipeline on {ts.name}", [r["digit"] for r in results],
                     [r["probabilities"] for r in results], want_digits, want_p)
    for f in files:
        with digitinfer_model(f) as m:
            assert m.info.name == stem and m.labels == tuple(str(d) for d in range(10)), m.info
            b = m.predict_batch([str(c[0]) for c in cases])
            expect_close(f"DigitInfer on {f.name} ({m.info.engine.c_name})", b.digits, b.probabilities,
                         want_digits, want_p)


def refused(a, pth, *expected, flags=(), env=None):
    """The tool exits 1 with a one-line reason containing every `expected` string, writing nothing."""
    r, out = convert(a, pth, *flags, env=env)
    err = r.stderr.strip()
    print(f"{' '.join([pth.name, *flags])}: refused: {err}")
    assert r.returncode == 1, f"{pth.name}: exit {r.returncode}, expected 1\n{r.stderr}"
    assert err.startswith("error: ") and "Traceback" not in err, err
    for e in expected:
        assert e in err, f"{pth.name}: {e!r} not in {err!r}"
    assert not any(out.iterdir()), f"{pth.name}: refused but wrote {sorted(os.listdir(out))}"


def state_dict():
    return torch.load(STATE_DICT, map_location="cpu", weights_only=True)


def case_zip(a):
    pth = a.work / "zip-format.pth"
    torch.save(state_dict(), pth)
    assert zipfile.is_zipfile(pth)
    converts(a, pth)


def case_legacy(a):
    pth = a.work / "legacy-format.pth"
    torch.save(state_dict(), pth, _use_new_zipfile_serialization=False)  # what PyTorch < 1.6 writes
    assert not zipfile.is_zipfile(pth)
    converts(a, pth)


class WritesAFile:
    """Unpickling this creates the file `path`: the harm a hostile pickle could do, made visible."""
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def case_module(a):
    model = ConvNet()
    model.load_state_dict(state_dict())
    plain = a.work / "module.pth"  # pickled as convnet.ConvNet
    torch.save(model, plain)
    main = a.work / "module-main.pth"  # as a training script that defines ConvNet itself saves it
    ConvNet.__module__ = "__main__"
    try:
        torch.save(model, main)
    finally:
        ConvNet.__module__ = "convnet"
    refused(a, plain, "class convnet.ConvNet", "--trust-pickle")
    refused(a, main, "class __main__.ConvNet", "--trust-pickle")
    marker = a.work / "unpickled-marker"
    hostile = a.work / "hostile.pth"
    torch.save({"conv1.weight": WritesAFile(str(marker))}, hostile)
    refused(a, hostile, "--trust-pickle")
    assert not marker.exists(), "the hostile pickle ran without --trust-pickle"

    converts(a, plain, "--trust-pickle")
    converts(a, main, "--trust-pickle")

    # The same weights under another forward are another model; a class that cannot be imported is named.
    (a.work / "othernet.py").write_text(
        "from convnet import ConvNet\n\n"
        "class ProbabilitiesNet(ConvNet):  # probabilities, not log-probabilities\n"
        "    def forward(self, x):\n"
        "        return super().forward(x).exp()\n")
    sys.path.insert(0, str(a.work))
    from othernet import ProbabilitiesNet
    other = ProbabilitiesNet()
    other.load_state_dict(state_dict())
    torch.save(other, a.work / "othernet.pth")
    env = dict(os.environ, PYTHONPATH=f"{a.work}{os.pathsep}{ROOT / 'tools'}")
    refused(a, a.work / "othernet.pth", "ProbabilitiesNet does not compute what the reference ConvNet computes",
            flags=("--trust-pickle",), env=env)
    refused(a, a.work / "othernet.pth", "the pickled class cannot be found", "othernet", flags=("--trust-pickle",))


def case_invalid(a):
    def save(name, obj):
        torch.save(obj, a.work / name)
        return a.work / name

    sd = state_dict()
    sd["fc1.weight"] = torch.zeros(64, 9216)
    refused(a, save("wrong-shape.pth", sd), "fc1.weight has shape [64, 9216], expected [64, 4608]")
    sd = state_dict()
    del sd["fc2.bias"]
    sd["bn1.weight"] = torch.ones(16)
    sd["conv1.weight"] = sd["conv1.weight"].to(torch.int32)
    refused(a, save("wrong-keys.pth", sd), "not a state_dict of the reference ConvNet", "missing key fc2.bias",
            "unexpected key bn1.weight", "conv1.weight is torch.int32")
    refused(a, save("tensor.pth", torch.ones(3)), "holds a Tensor, neither a state_dict nor a module")
    garbage = a.work / "garbage.pth"
    garbage.write_bytes(bytes(range(256)) * 8)
    refused(a, garbage, "not a file torch.load can read")
    scripted = a.work / "scripted.pth"
    scripted.write_bytes((ROOT / "models/convnet.scripted.pt").read_bytes())
    refused(a, scripted, "is TorchScript already")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("case", choices=["zip", "legacy", "module", "invalid"])
    p.add_argument("--work", required=True)
    p.add_argument("--cli", required=True)
    a = p.parse_args()
    a.work = fresh_dir(a.work)
    torch.set_num_threads(1)
    globals()[f"case_{a.case}"](a)
    print(json.dumps({"case": a.case, "result": "ok"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
