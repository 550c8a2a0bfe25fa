"""Checks that `digitinfer info` reports a model's own metadata, not the built-in defaults.

    check_info.py CLI MODEL.pt NOMETA.pt [--compile-to OUT.dimodel]

The expected values are read from MODEL.pt itself (the digitinfer.json that
torch.jit.save stored in the zip archive), so nothing is typed in by hand.
NOMETA.pt is a model without metadata: `info` must say has_metadata false for
it, and MODEL's metadata must differ from what NOMETA gets (the defaults) in at
least one field, or this check could not tell metadata from defaults.
With --compile-to, MODEL is first compiled to a .dimodel and that file is
described instead: the metadata must survive `digitinfer compile`.
Standard library only.
"""
import argparse
import json
import subprocess
import sys
import zipfile

# The two spellings the C API also accepts for output kinds (di_output_kind_from_name).
OUTPUT_ALIASES = {"log_softmax": "log_probabilities", "softmax": "probabilities"}


def embedded_metadata(path):
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.endswith("/extra/digitinfer.json")]
        if not names:
            return None
        return json.loads(archive.read(names[0]))


def info(cli, model):
    out = subprocess.run([cli, "info", "--json", model], check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)


def described(meta, i):
    """The fields `info` shows, from metadata (meta) or from info output (i)."""
    if i is not None:
        return {"name": i["name"], "input": i["input"], "mean": i["mean"], "std": i["std"],
                "labels": i["labels"], "output_kind": i["output_kind"]}
    return {"name": meta["name"], "input": meta["input"], "mean": meta["mean"][0], "std": meta["std"][0],
            "labels": meta["labels"], "output_kind": OUTPUT_ALIASES.get(meta["output"], meta["output"])}


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(a)))
    return a == b


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cli")
    p.add_argument("model")
    p.add_argument("nometa")
    p.add_argument("--compile-to")
    args = p.parse_args()

    meta = embedded_metadata(args.model)
    if meta is None:
        sys.exit(f"{args.model} has no digitinfer.json: not a model to check metadata with")
    if embedded_metadata(args.nometa) is not None:
        sys.exit(f"{args.nometa} has a digitinfer.json: it cannot stand for the defaults")

    target = args.model
    if args.compile_to:
        subprocess.run([args.cli, "compile", args.model, "-o", args.compile_to], check=True)
        target = args.compile_to

    failures = []
    got, defaults = info(args.cli, target), info(args.cli, args.nometa)
    if got["has_metadata"] is not True:
        failures.append(f"{target}: has_metadata is {got['has_metadata']}, want true")
    if defaults["has_metadata"] is not False:
        failures.append(f"{args.nometa}: has_metadata is {defaults['has_metadata']}, want false")

    want, shown, default = described(meta, None), described(None, got), described(None, defaults)
    for key in want:
        if not same(shown[key], want[key]):
            failures.append(f"{target}: {key} is {shown[key]!r}, its metadata says {want[key]!r}")
    differing = [k for k in want if not same(want[k], default[k])]
    if not differing:
        failures.append(f"{args.model}'s metadata equals the defaults: the check cannot tell them apart")

    for f in failures:
        print("FAIL:", f)
    if failures:
        return 1
    print(f"ok: {target} shows its metadata; differs from the defaults in: {', '.join(differing)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
