#!/usr/bin/python3
"""Converts a .pth of the reference ConvNet (tools/convnet.py) into the files DigitInfer loads.

    /usr/bin/python3 tools/pth_to_torchscript.py MODEL.pth [-o DIR] [--stem STEM] [--name NAME]
        [--mean M] [--std S] [--trust-pickle] [--cli DIGITINFER | --no-dimodel]

writes DIR/STEM.traced.pt and DIR/STEM.scripted.pt (TorchScript with the digitinfer.json metadata,
written by tools/export_model.py) and DIR/STEM.dimodel (by `digitinfer compile`).

MODEL.pth is one of:
- a state_dict, `torch.save(model.state_dict(), f)`, in the zip format of PyTorch 1.6 and later or
  the legacy format of older releases (`_use_new_zipfile_serialization=False`). It is read with
  `torch.load(weights_only=True)`, which builds tensors and plain containers only: the file cannot
  make it import or call anything. Its keys and shapes must be the ConvNet's;
- a whole pickled module, `torch.save(model)`, only with --trust-pickle. RISK: unpickling imports
  and calls whatever the file names, so a hostile file runs any code it likes, as you. Pass it
  only for a file you would run as a program. The pickled class must be importable under its
  saved name (ConvNet is found as `convnet.ConvNet` and as `__main__.ConvNet`, what a training
  script that defines it saves; PYTHONPATH finds others). Only its weights are kept, and the
  module must compute what tools/convnet.py computes with them (checked to 1e-5).

Exit status 1 with "error: ..." for a file that is none of these, naming every wrong key.
"""
import argparse
import os
import pickle
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import torch

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))
import export_model  # noqa: E402
from convnet import ConvNet  # noqa: E402,F401  (also what `__main__.ConvNet` in a pickle resolves to)

ROOT = TOOLS.parent


class ConversionError(Exception):
    pass


def _is_torchscript(path):
    # torch.load hands a TorchScript archive to torch.jit.load, which runs its code: refuse it here.
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as z:
        return any(n.endswith("/constants.pkl") for n in z.namelist())


def _read(path, trust_pickle):
    """What torch.load gives: a state_dict, or with trust_pickle also a pickled module."""
    if _is_torchscript(path):
        raise ConversionError(f"{path} is TorchScript already: DigitInfer loads it as it is "
                              "(`digitinfer compile` makes the .dimodel)")
    unreadable = (RuntimeError, KeyError, EOFError, ValueError, OSError, pickle.UnpicklingError)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        found = re.search(r"Unsupported class (\S+)", str(e))
        if not found:  # not a class the weights-only unpickler refused: a damaged or foreign file
            why = str(e).split("WeightsUnpickler error: ")[-1]  # without torch's advice to unpickle anyway
            raise ConversionError(f"{path}: not a file torch.load can read ({why})") from None
        if not trust_pickle:
            raise ConversionError(
                f"{path} holds pickled Python objects (class {found.group(1)}), not only tensors: a whole "
                "module saved with torch.save(model), or another pickle. Unpickling it runs code the file "
                "names: pass --trust-pickle only if you trust it as a program, or save model.state_dict() "
                "instead") from None
    except unreadable as e:
        raise ConversionError(f"{path}: not a file torch.load can read ({type(e).__name__}: {e})") from None
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except (ImportError, AttributeError) as e:
        raise ConversionError(f"{path}: the pickled class cannot be found ({e}); put its module on "
                              "PYTHONPATH, or save model.state_dict() instead") from None
    except unreadable as e:
        raise ConversionError(f"{path}: not a file torch.load can read ({type(e).__name__}: {e})") from None


def check_state_dict(sd, path):
    """Raises ConversionError naming every key that is missing, unexpected or of the wrong shape."""
    if not isinstance(sd, dict):
        raise ConversionError(f"{path} holds a {type(sd).__name__}, neither a state_dict nor a module")
    expected = ConvNet().state_dict()
    problems = [f"missing key {k} (shape {list(v.shape)})" for k, v in expected.items() if k not in sd]
    problems += [f"unexpected key {k}" for k in sd if k not in expected]
    for k, want in expected.items():
        got = sd.get(k)
        if got is None:
            continue
        if not isinstance(got, torch.Tensor):
            problems.append(f"{k} is a {type(got).__name__}, not a tensor")
        elif got.shape != want.shape:
            problems.append(f"{k} has shape {list(got.shape)}, expected {list(want.shape)}")
        elif not got.is_floating_point():
            problems.append(f"{k} is {got.dtype}, expected floating point")
    if problems:
        raise ConversionError(f"{path} is not a state_dict of the reference ConvNet (tools/convnet.py): "
                              + "; ".join(problems))


def load_convnet(path, trust_pickle=False):
    """The reference ConvNet with the weights of the .pth at `path`, in eval mode."""
    obj = _read(str(path), trust_pickle)
    pickled = obj if isinstance(obj, torch.nn.Module) else None
    sd = pickled.state_dict() if pickled is not None else obj
    check_state_dict(sd, path)
    model = ConvNet()
    model.load_state_dict(sd)
    model.eval()
    if pickled is not None:
        # The same weights under another forward (no log_softmax, another pooling) are another model.
        x = torch.linspace(-0.5, 2.8, 4 * 28 * 28).reshape(4, 1, 28, 28)
        with torch.no_grad():
            try:
                diff = float((pickled.eval()(x) - model(x)).abs().max())
            except Exception as e:  # its forward is the file's code: any failure is its own
                raise ConversionError(f"{path}: the pickled module's forward fails ({e})") from None
        if not diff <= 1e-5:
            raise ConversionError(f"{path}: the pickled {type(pickled).__name__} does not compute what the "
                                  f"reference ConvNet computes with its weights (max |diff| {diff:g})")
    return model


def find_cli(cli):
    found = cli or os.environ.get("DIGITINFER_CLI") or shutil.which("digitinfer")
    if not found and (ROOT / "build/examples/cli/digitinfer").is_file():
        found = str(ROOT / "build/examples/cli/digitinfer")  # a checkout's build
    if not found:
        raise ConversionError("no digitinfer command to compile the .dimodel: pass --cli PATH "
                              "(or $DIGITINFER_CLI), or --no-dimodel")
    return found


def compile_dimodel(cli, torchscript, dimodel):
    try:
        r = subprocess.run([cli, "compile", str(torchscript), "-o", str(dimodel)],
                           capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ConversionError(f"{cli} compile: {e}") from None
    if r.returncode != 0:
        raise ConversionError(f"{cli} compile {torchscript} failed: {r.stderr.strip() or r.stdout.strip()}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("pth", type=Path)
    p.add_argument("-o", "--out", type=Path, default=Path("."), help="directory to write into (default .)")
    p.add_argument("--stem", help="file names' stem (default: the .pth's)")
    p.add_argument("--name", help="the metadata's model name (default: the stem)")
    defaults = export_model.DEFAULT_METADATA
    p.add_argument("--mean", type=float, help=f"normalization mean (default {defaults['mean'][0]})")
    p.add_argument("--std", type=float, help=f"normalization std (default {defaults['std'][0]})")
    p.add_argument("--trust-pickle", action="store_true",
                   help="allow a whole pickled module: unpickling runs code the file names (see above)")
    p.add_argument("--cli", help="the digitinfer command "
                   "(default $DIGITINFER_CLI, else PATH, else build/examples/cli/digitinfer)")
    p.add_argument("--no-dimodel", action="store_true", help="write the TorchScript files only")
    a = p.parse_args()
    stem = a.stem or a.pth.name.split(".")[0]
    try:
        cli = None if a.no_dimodel else find_cli(a.cli)
        model = load_convnet(a.pth, a.trust_pickle)
        meta = dict(export_model.DEFAULT_METADATA, name=a.name or stem)
        if a.mean is not None:
            meta["mean"] = [a.mean]
        if a.std is not None:
            meta["std"] = [a.std]
        export_model.export(model, a.out, stem, meta)
        written = [a.out / f"{stem}.traced.pt", a.out / f"{stem}.scripted.pt"]
        if cli:
            compile_dimodel(cli, written[0], a.out / f"{stem}.dimodel")
            written.append(a.out / f"{stem}.dimodel")
    except ConversionError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for f in written:
        print(f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
