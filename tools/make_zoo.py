#!/usr/bin/python3
"""The model zoo (tools/zoo.py): classifiers users write, trained briefly on MNIST and committed under
tests/data/zoo/, and the reference ConvNet rewritten several ways (generated, not committed).

    /usr/bin/python3 tools/make_zoo.py --train [--only NAME...] [--mnist DIR]
                                       # train and export the zoo (or some of it), then golden.json
    /usr/bin/python3 tools/make_zoo.py                         # (re)write tests/data/zoo/golden.json
    /usr/bin/python3 tools/make_zoo.py --check                 # exit 1 if golden.json is not current
    /usr/bin/python3 tools/make_zoo.py --variants DIR          # write the ConvNet variants into DIR
    /usr/bin/python3 tools/make_zoo.py --dimodels --library build/src/libdigitinfer.so
                                       # (or --cli build/examples/cli/digitinfer) compile the zoo .dimodels
    /usr/bin/python3 tools/make_zoo.py --graphs [FILE...]      # node kinds of each frozen TorchScript graph

--train: every tools/zoo.py ZOO model, from a fixed seed (crc32 of its name), AdamW + one-cycle
  learning rate on the MNIST training set (normalized as tools/train.py does, no augmentation) for
  the model's `epochs` passes, one thread, deterministic algorithms, PYTHONHASHSEED=0; evaluated on the 10,000 test
  images; exported with tools/export_model.export (traced with torch.ones(1,1,28,28), and scripted)
  as tests/data/zoo/<name>.{traced,scripted}.pt with digitinfer.json: DEFAULT_METADATA, the model's
  name, and its "output" (left out where tools/zoo.py says declared=False: the library must detect it).
  Prints a summary (parameters, file sizes, accuracy, seconds) and writes golden.json.
--variants: tools/zoo.py VARIANTS with the weights of models/convnet.state_dict.pth (no training),
  each checked to give what models/convnet.scripted.pt gives (to 1e-5) on a few inputs, exported the
  same way as <name>.{traced,scripted}.pt (~1.2 MB each).
--dimodels: compiles tools/zoo.py DIMODELS to tests/data/zoo/<name>.dimodel with the library's
  di_model_export_native (bindings/python over the C library, or the `digitinfer compile` command),
  for builds without the libtorch plugin. Needs a library whose native engine runs those models.

golden.json: what the reference pipeline (tools/reference.py) computes, with one thread, for every
image in tests/data/images and every committed zoo file and ConvNet variant (made into a temporary
directory); "models": per file its name, whether it is "committed" (tests/data/zoo/<file>) or a
"variant" (a file of the directory DIGITINFER_ZOO_VARIANTS names in the test), the engine
DI_ENGINE_AUTO must choose ("native", or "libtorch" for the deliberately unsupported model), the
operator names its engine note must contain, input shape, and the output kind the reference used
(declared or detected); "cases": per file and image the digit and the probabilities (float32 values,
as the shortest decimals that read back as the same float32); "dimodels": the committed .dimodel
files (present or not) and the file each is compiled from. --check compares as make_golden.py does.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import warnings
import zlib
from pathlib import Path

import numpy as np
import PIL
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mnist  # noqa: E402
import reference  # noqa: E402
import zoo  # noqa: E402
from export_model import DEFAULT_METADATA, export  # noqa: E402
from make_golden import differences, dumps, float32s  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ZOO_DIR = ROOT / "tests/data/zoo"
GOLDEN = ZOO_DIR / "golden.json"
IMAGE_DIR = "tests/data/images"
MNIST_DIR = ROOT.parent / "shared/data/mnist"
STATE_DICT = ROOT / "models/convnet.state_dict.pth"
REFERENCE_MODEL = ROOT / "models/convnet.scripted.pt"
FORMS = ("traced", "scripted")
VERSION_KEYS = ("torch", "torchvision", "pillow")
MEAN, STD = 0.1302, 0.3069  # tools/train.py's
BATCH = 64


def metadata(name, output):
    meta = dict(DEFAULT_METADATA, name=name)
    if output is None:
        del meta["output"]
    else:
        meta["output"] = output
    return meta


def quiet_export(model, out_dir, stem, meta):
    """export_model.export without the TracerWarnings of shape checks (they are the point)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", UserWarning)
        export(model, out_dir, stem, meta)


# ---------------------------------------------------------------- training

def to_input(images_u8):
    """tools/train.py's to_tensor + normalize arithmetic."""
    return torch.from_numpy(images_u8.copy()).float().div(255).unsqueeze(1).sub(MEAN).div(STD)


def accuracy(model, x, y):
    model.eval()
    with torch.inference_mode():
        return sum(int((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum()) for i in range(0, len(x), 1000)) / len(x)


def train(spec, xtr, ytr):
    seed = zlib.crc32(spec.name.encode())
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = spec.make()
    steps = math.ceil(spec.epochs * len(xtr) / BATCH)
    order = torch.cat([torch.randperm(len(xtr), generator=gen) for _ in range(math.ceil(spec.epochs))])
    opt = torch.optim.AdamW(model.parameters(), lr=spec.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=spec.lr, total_steps=steps)
    model.train()
    for step in range(steps):
        idx = order[step * BATCH:(step + 1) * BATCH]
        out = model(xtr[idx])
        if spec.output == "probabilities":
            loss = F.nll_loss(torch.log(out.clamp_min(1e-12)), ytr[idx])
        else:  # log-probabilities and logits alike: cross_entropy(log_softmax(z)) = cross_entropy(z)
            loss = F.cross_entropy(out, ytr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return model.eval()


def train_zoo(data_dir, threads, only):
    if not (data_dir / "train-images-idx3-ubyte.gz").exists():
        raise SystemExit(f"no MNIST data in {data_dir} (--mnist DIR)")
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    xtr, ytr = mnist.load(data_dir, "train")
    xte, yte = mnist.load(data_dir, "t10k")
    xtr, ytr = to_input(xtr), torch.from_numpy(ytr.astype(np.int64))
    xte, yte = to_input(xte), torch.from_numpy(yte.astype(np.int64))
    ZOO_DIR.mkdir(parents=True, exist_ok=True)
    rows, t_all = [], time.time()
    unknown = set(only or []) - {spec.name for spec in zoo.ZOO}
    if unknown:
        raise SystemExit(f"no zoo model {', '.join(sorted(unknown))}")
    for spec in zoo.ZOO:
        if only and spec.name not in only:
            continue
        t0 = time.time()
        model = train(spec, xtr, ytr)
        acc = accuracy(model, xte, yte)
        quiet_export(model, ZOO_DIR, spec.name, metadata(spec.name, spec.output if spec.declared else None))
        sizes = [(ZOO_DIR / f"{spec.name}.{form}.pt").stat().st_size for form in FORMS]
        rows.append((spec.name, zoo.parameter_count(model), sizes, acc, time.time() - t0))
        print(f"{spec.name:32s} {rows[-1][1]:6d} params  traced {sizes[0] / 1024:5.0f} KiB  scripted "
              f"{sizes[1] / 1024:5.0f} KiB  test accuracy {acc * 100:.2f}%  ({rows[-1][4]:.0f} s)", flush=True)
    print(f"trained {len(rows)} models in {time.time() - t_all:.0f} s")
    weak = [r[0] for r in rows if r[3] < 0.97]
    if weak:
        raise SystemExit(f"below 97% test accuracy: {', '.join(weak)}")


# ---------------------------------------------------------------- the ConvNet variants

def write_variants(out_dir):
    """Writes every VARIANTS form into out_dir; returns [(variant, form, path)]."""
    out_dir = Path(out_dir)
    state = torch.load(STATE_DICT, map_location="cpu")
    reference_model = torch.jit.load(str(REFERENCE_MODEL), map_location="cpu").eval()
    probe = torch.cat([torch.ones(1, 1, 28, 28), torch.randn(3, 1, 28, 28, generator=torch.Generator().manual_seed(0))])
    with torch.no_grad():
        want = reference_model(probe)
    written = []
    for v in zoo.VARIANTS:
        model = zoo.load_convnet(v, state)
        with torch.no_grad():
            got = model(probe)
        if not torch.allclose(got, want, rtol=0, atol=1e-5):
            raise SystemExit(f"{v.name} does not compute what {REFERENCE_MODEL.name} computes")
        quiet_export(model, out_dir, v.name, metadata(v.name, "log_probabilities"))
        for form in FORMS:
            path = out_dir / f"{v.name}.{form}.pt"
            if form not in v.forms:
                path.unlink()
                continue
            written.append((v, form, path))
    return written


# ---------------------------------------------------------------- golden values

def frozen_kinds(path, nested=True):
    """The node kinds of the frozen graph of a TorchScript file, in order of first appearance; with
    `nested`, those inside prim::If and prim::Loop blocks too."""
    module = torch.jit.freeze(torch.jit.load(str(path), map_location="cpu").eval())
    kinds = []

    def walk(block):
        for node in block.nodes():
            if node.kind() not in kinds:
                kinds.append(node.kind())
            if nested:
                for b in node.blocks():
                    walk(b)
    walk(module.graph)
    return kinds


def image_paths():
    return [f"{IMAGE_DIR}/{p.name}" for p in sorted((ROOT / IMAGE_DIR).iterdir()) if p.is_file()]


def preprocessed(images, meta, cache):
    """{image: normalized tensor} for one input size, mean and std (shared by the models that agree)."""
    key = json.dumps([meta["input"], meta["mean"], meta["std"]], sort_keys=True)
    if key not in cache:
        tensors = {}
        for image in images:
            with Image.open(ROOT / image) as img, warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # P + tRNS bytes: Pillow warns
                tensors[image] = reference.preprocess(img, meta)[1]
        cache[key] = tensors
    return cache[key]


def model_golden(path, file, source, engine, ops, images, cache):
    model, meta = reference.load_model(path)
    tensors = preprocessed(images, meta, cache)
    cases, kinds = [], set()
    for image in images:
        x = tensors[image]
        with torch.no_grad():
            kinds.add(reference.output_kind(meta, model(x.unsqueeze(0))))
        r = reference.infer(model, meta, x)
        cases.append({"model": file, "image": image, "digit": r["digit"],
                      "probabilities": float32s(r["probabilities"])})
    if len(kinds) != 1:
        raise SystemExit(f"{file}: output detected as {sorted(kinds)} on different images")
    if ops:  # the engine note must name them: they must be in the graph the engine sees
        graph = frozen_kinds(path)
        missing = [op for op in ops if f"aten::{op}" not in graph]
        if missing:
            raise SystemExit(f"{file}: no aten::{', aten::'.join(missing)} in its frozen graph {graph}")
    entry = {"file": file, "source": source, "engine": engine, "note_must_name": ops,
             "input": [meta["input"][k] for k in ("channels", "height", "width")],
             "output": kinds.pop(), "output_declared": meta["output_declared"]}
    return entry, cases


def generate():
    torch.set_num_threads(1)
    images = image_paths()
    models, cases, cache = [], [], {}
    for spec in zoo.ZOO:
        for form in FORMS:
            file = f"{spec.name}.{form}.pt"
            entry, c = model_golden(ZOO_DIR / file, file, "committed", spec.engine, spec.unsupported_ops,
                                    images, cache)
            if (entry["output"], entry["output_declared"]) != (spec.output, spec.declared):
                raise SystemExit(f"{file}: the reference sees {entry['output']} (declared: "
                                 f"{entry['output_declared']}), tools/zoo.py says {spec.output} ({spec.declared})")
            models.append({"name": spec.name, **entry})
            cases += c
    with tempfile.TemporaryDirectory(prefix="zoo-variants-") as tmp:
        for v, form, path in write_variants(tmp):
            entry, c = model_golden(path, path.name, "variant", "native", [], images, cache)
            models.append({"name": v.name, **entry})
            cases += c
    return {
        "generator": "tools/make_zoo.py", "torch": torch.__version__,
        "torchvision": torchvision.__version__, "pillow": PIL.__version__,
        "models": models,
        "dimodels": [{"file": Path(src).name.split(".")[0] + ".dimodel", "source": src} for src in zoo.DIMODELS],
        "cases": cases,
    }


def summary(golden):
    by_model = {}
    for c in golden["cases"]:
        by_model.setdefault(c["model"], []).append(c)
    for m in golden["models"]:
        rows = by_model[m["file"]]
        drawn = [c for c in rows if Path(c["image"]).name[0].isdigit()]
        hits = sum(c["digit"] == int(Path(c["image"]).name[0]) for c in drawn)
        declared = "declared" if m["output_declared"] else "detected"
        print(f"  {m['file']:45s} {m['source']:9s} {m['engine']:8s} {m['output']:17s} ({declared}) "
              f"{hits}/{len(drawn)} drawn digits as drawn")
    print(f"{len(golden['models'])} models, {len(golden['cases'])} cases")


def check_or_write(check, quiet):
    golden = generate()
    if not quiet:
        summary(golden)
    if not check:
        GOLDEN.write_text(dumps(golden))
        print(f"wrote {GOLDEN.relative_to(ROOT)}")
        return 0
    if not GOLDEN.exists():
        print(f"{GOLDEN.relative_to(ROOT)} is missing; run tools/make_zoo.py", file=sys.stderr)
        return 1
    stored = json.loads(GOLDEN.read_text())
    for k in VERSION_KEYS:
        if stored.get(k) != golden[k]:
            print(f"note: {GOLDEN.name} was made with {k} {stored.get(k)}, this is {golden[k]}", file=sys.stderr)
    diffs = list(differences({k: v for k, v in stored.items() if k not in VERSION_KEYS},
                             {k: v for k, v in golden.items() if k not in VERSION_KEYS}, "zoo golden"))
    for d in diffs[:20]:
        print(d, file=sys.stderr)
    if diffs:
        print(f"{GOLDEN.relative_to(ROOT)} is not current ({len(diffs)} differences); run tools/make_zoo.py",
              file=sys.stderr)
        return 1
    print(f"{GOLDEN.relative_to(ROOT)} is current")
    return 0


# ---------------------------------------------------------------- .dimodel files

def compile_dimodels(library, cli):
    """Compiles zoo.DIMODELS with the C library (bindings/python) or the digitinfer command."""
    targets = [(ZOO_DIR / src, ZOO_DIR / (Path(src).name.split(".")[0] + ".dimodel")) for src in zoo.DIMODELS]
    if cli:
        failed = 0
        for src, out in targets:
            failed += subprocess.run([str(cli), "compile", str(src), "-o", str(out)]).returncode != 0
        return 1 if failed else 0
    if library:
        os.environ["DIGITINFER_LIBRARY"] = str(Path(library).resolve())
    sys.path.insert(0, str(ROOT / "bindings/python"))
    import digitinfer  # noqa: E402  (needs $DIGITINFER_LIBRARY or an installed libdigitinfer.so.1)
    failed = 0
    for src, out in targets:
        try:
            with digitinfer.Model(src, engine=digitinfer.Engine.NATIVE) as m:
                m.export_native(out)
            print(f"wrote {out.relative_to(ROOT)} (from {src.name})")
        except digitinfer.Error as e:
            print(f"{src.name}: {e}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def print_graphs(files):
    paths = [Path(f) for f in files] or sorted(ZOO_DIR.glob("*.pt"))
    for p in paths:
        top = frozen_kinds(p, nested=False)
        kinds = [k for k in top if k != "prim::Constant"]
        inner = [k for k in frozen_kinds(p) if k not in top]
        print(f"{p.name}: {' '.join(kinds)}" + (f"  [in blocks: {' '.join(inner)}]" if inner else ""))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", action="store_true", help="train and export the zoo (needs MNIST), then golden.json")
    p.add_argument("--mnist", type=Path, default=MNIST_DIR, help="directory of the MNIST .gz files")
    p.add_argument("--threads", type=int, default=1,
                   help="training threads (more is slower on a shared machine: OpenMP spins)")
    p.add_argument("--only", nargs="+", metavar="NAME", help="--train: only these zoo models")
    p.add_argument("--check", action="store_true", help="compare golden.json with what the files give now")
    p.add_argument("--variants", type=Path, metavar="DIR", help="write the ConvNet variants into DIR, only")
    p.add_argument("--dimodels", action="store_true", help="compile the zoo's .dimodel files, only")
    p.add_argument("--library", type=Path, help="--dimodels: libdigitinfer.so to use (else $DIGITINFER_LIBRARY)")
    p.add_argument("--cli", type=Path, help="--dimodels: use this `digitinfer` command's compile instead")
    p.add_argument("--graphs", nargs="*", metavar="FILE", help="print frozen graphs' node kinds (default: the zoo)")
    p.add_argument("--quiet", action="store_true", help="no summary")
    a = p.parse_args()
    if a.train and os.environ.get("PYTHONHASHSEED") != "0":
        # TorchScript writes a module's constants in set order: fix str hashing, so that a rerun
        # writes the same bytes.
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"})
    if a.variants:
        t0 = time.time()
        written = write_variants(a.variants)
        print(f"wrote {len(written)} ConvNet variants into {a.variants} ({time.time() - t0:.1f} s)")
        return 0
    if a.dimodels:
        return compile_dimodels(a.library, a.cli)
    if a.graphs is not None:
        print_graphs(a.graphs)
        return 0
    if a.train:
        train_zoo(a.mnist, a.threads, a.only)
    return check_or_write(a.check, a.quiet)


if __name__ == "__main__":
    sys.exit(main())
