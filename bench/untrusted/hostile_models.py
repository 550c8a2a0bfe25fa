#!/usr/bin/python3
"""Time and peak RSS of loading each hostile TorchScript model, and of one large libtorch batch.

    /usr/bin/python3 bench/untrusted/hostile_models.py --cli build/examples/cli/digitinfer \\
        --library build/libdigitinfer.so [--dir /tmp/digitinfer-hostile] [--batch 20000]

The models (tools/make_hostile_models.py) are written into --dir first. Each row: `digitinfer info
MODEL --no-cache` untrusted (default limits) and trusted (--trust-model), its exit status, wall
seconds and peak RSS from /usr/bin/time -v. Then one predict of --batch images on the `reference`
engine (libtorch, chunked by the plugin) through the Python bindings, for the memory a large
batch takes under the default memory limit. Compare two builds by running it once per build.
"""
import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BATCH = """
import sys, numpy as np
sys.path.insert(0, {bindings!r})
import digitinfer
m = digitinfer.Model({model!r}, engine=digitinfer.Engine.LIBTORCH_REFERENCE)
x = np.random.default_rng(1).normal(0, 1, ({batch}, 1, 28, 28)).astype(np.float32)
print(m.predict_tensor(x, count={batch})[0])
"""


def measure(command, env=None):
    """(exit status, wall seconds, peak RSS in kB) of `command` under /usr/bin/time -v."""
    done = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True, env=env)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", done.stderr)
    hours, minutes, seconds = (float(g) if g else 0.0 for g in wall.groups())
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return done.returncode, hours * 3600 + minutes * 60 + seconds, rss


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cli", required=True, help="the digitinfer executable")
    p.add_argument("--library", required=True, help="libdigitinfer.so, for the batch through the bindings")
    p.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "digitinfer-hostile"))
    p.add_argument("--batch", type=int, default=20000)
    a = p.parse_args()
    subprocess.run(["/usr/bin/python3", str(ROOT / "tools/make_hostile_models.py"), a.dir], check=True)
    print("| model | untrusted: exit, s, MB | trusted: exit, s, MB |\n|---|---|---|")
    for model in sorted(Path(a.dir).glob("*.pt")):
        cells = []
        for extra in ([], ["--trust-model"]):
            code, seconds, rss = measure([a.cli, "info", str(model), "--no-cache", *extra])
            cells.append(f"{code}, {seconds:.2f}, {rss / 1024:.0f}")
        print(f"| {model.name} | {cells[0]} | {cells[1]} |", flush=True)
    script = BATCH.format(bindings=str(ROOT / "bindings/python"), model=str(ROOT / "models/convnet.scripted.pt"),
                          batch=a.batch)
    env = {"DIGITINFER_LIBRARY": a.library, "DIGITINFER_CACHE_DIR": "off", "PATH": "/usr/bin:/bin"}
    code, seconds, rss = measure(["/usr/bin/python3", "-c", script], env=env)
    print(f"\n{a.batch} images on the reference engine: exit {code}, {seconds:.2f} s, peak RSS {rss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
