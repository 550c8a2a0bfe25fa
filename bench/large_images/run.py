#!/usr/bin/python3
"""Large images end to end, side by side: the Python reference against DigitInfer builds.

    /usr/bin/python3 bench/large_images/run.py BUILD... [--rounds 5] [--min-time 2]

BUILD: a build tree with bench/side_by_side/digitinfer_bench (DIGITINFER_BUILD_BENCHMARKS=ON),
e.g. one of the commit before a change and one of after it. For each round, in turn: the Python
reference (tools/compare.py's e2e worker: Image.open + tools/reference.py, torch on one thread)
and every build's digitinfer_bench e2e (the .dimodel, one thread), each on the issue's images:
the 251x248 RGBA PNG and the 640x480 RGB JPEG. Prints a Markdown table of the per-round medians
and 10th percentiles (the least disturbed figure on a shared machine), their ranges over the
rounds, and each build's speed-up over Python (ratio of the medians of the rounds' p10s), with
the load average before every round. Results: docs/benchmarks.md, "Large images".
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IMAGES = ["tests/data/images/5-RGBA-251x248.png", "tests/data/images/9-RGB-420-640x480.jpg"]


def run_json(cmd):
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def python_reference(min_time):
    return run_json(["/usr/bin/python3", "tools/compare.py", "_worker", "e2e", "--model",
                     "models/convnet.scripted.pt", "--min-time", str(min_time), *IMAGES])


def digitinfer(build, min_time):
    return run_json([os.path.join(build, "bench/side_by_side/digitinfer_bench"), "e2e", "models/convnet.dimodel",
                     *IMAGES, "--threads", "1", "--min-time", str(min_time)])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("builds", nargs="+")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--min-time", type=float, default=2.0)
    a = p.parse_args()
    impls = {"Python reference": lambda: python_reference(a.min_time)}
    for b in a.builds:
        impls[f"DigitInfer ({b})"] = lambda b=b: digitinfer(os.path.abspath(b), a.min_time)
    figures = {}  # (impl, kind, image) -> [(median, p10)] over rounds
    loads = []
    for r in range(a.rounds):
        loads.append(os.getloadavg()[0])
        for name, measure in impls.items():
            for row in measure():
                key = (name, row["kind"], os.path.basename(row["image"]))
                figures.setdefault(key, []).append((row["median_s"] * 1e6, row["p10_s"] * 1e6))
        print(f"round {r + 1}/{a.rounds} done (load {loads[-1]:.1f})", file=sys.stderr)
    print(f"load average (1 min) before each round: {', '.join(f'{x:.1f}' for x in loads)}\n")
    print("| image | stage | implementation | median µs (range) | p10 µs (range) | speed-up (p10) |")
    print("| --- | --- | --- | ---: | ---: | ---: |")
    for image in map(os.path.basename, IMAGES):
        for kind in ("e2e", "preprocess"):
            base = figures.get(("Python reference", kind, image))
            for name in impls:
                got = figures.get((name, kind, image))
                if not got:
                    continue
                med = statistics.median(m for m, _ in got)
                p10 = statistics.median(q for _, q in got)
                speed = statistics.median(q for _, q in base) / p10 if base else float("nan")
                print(f"| {image} | {kind} | {name} | {med:.0f} ({min(m for m, _ in got):.0f}–{max(m for m, _ in got):.0f}) "
                      f"| {p10:.0f} ({min(q for _, q in got):.0f}–{max(q for _, q in got):.0f}) | {speed:.2f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
