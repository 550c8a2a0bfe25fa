#!/usr/bin/python3
"""The zoo benchmark: the native engine on "the models users bring" against libtorch and ONNX Runtime,
and the reference ConvNet before/after the engine rewrite (docs/benchmarks.md, "The models users
bring (the zoo)").

    bench/zoo/run.sh [OPTIONS]                     # builds the programs, then runs this
    /usr/bin/python3 bench/zoo/bench_zoo.py [--build-dir build-bench] [--old-build DIR --old-model FILE]
        [--models a,b] [--rounds 3] [--min-time 0.5] [--threads 1,2] [--batches 1,64] [--out DIR]
    /usr/bin/python3 bench/zoo/bench_zoo.py --from-json DIR/zoo.json    # re-render the Markdown

Models: every committed zoo model the native engine runs (tests/data/zoo/golden.json; the traced
file) and the reference ConvNet (models/convnet.traced.pt; DigitInfer loads models/convnet.dimodel).

1. ONNX: torch.onnx.export of the TorchScript file itself (opset 13, dynamic batch axis). Two
   operators torch 1.13 cannot export get exact stand-ins, used only when the plain export fails:
   adaptive_avg_pool2d with equal, evenly spaced bins (7 -> 3 is AveragePool k3 s2) and
   _convolution_mode (padding='same': Conv with explicit pads, the extra one at the end as torch does).
2. Agreement on the shared test batch (bench/side_by_side/timing.hpp, batch 2): ONNX Runtime against
   plain libtorch within 1e-5 (absolute, relative beyond magnitude 1; else the model is left out), and
   the native engine's log-probabilities against libtorch's output (log-softmaxed; logged first for
   a probabilities output).
3. Forward only (normalized [N,1,28,28] -> outputs), batches 1 and 64, 1 and 2 threads: DigitInfer
   native (digitinfer_bench forward --engine native), libtorch frozen + optimize_for_inference
   (plain_libtorch forward --freeze) and ONNX Runtime (ort_bench.py forward), each configuration in a
   fresh process, implementations interleaved within each round (odd rounds in reverse order).
   With --old-build, the same for the ConvNet on the library of an older commit (its own .dimodel),
   next to the current one in the same rounds, plus e2e on examples/images/digit-7.png, 1 thread.

Measuring is tools/compare.py's: its Runner (OPENBLAS_NUM_THREADS = thread count, a short wait for
quiet before each process, one rerun of a disturbed process keeping the least disturbed run, the CPU
other processes used meanwhile), its aggregate (median of the round medians, and their range) and
its Section (load per round). The programs time wall clock per call (median of single calls); none
reports CPU time per call, so "others" (cores other processes used while a process ran) says how far
to trust a figure.
"""
import argparse
import datetime
import json
import math
import os
import subprocess
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import compare as C  # noqa: E402

ZOO = os.path.join(ROOT, "tests", "data", "zoo")
ORT_BENCH = os.path.join(C.SBS, "ort_bench.py")
E2E_IMAGE = "examples/images/digit-7.png"
IMPLS = [("native", "DigitInfer native"), ("libtorch_frozen", "libtorch frozen + optimized"),
         ("ort", "ONNX Runtime")]


# --------------------------------------------------------------------------- models and ONNX

def zoo_models(only):
    """[(name, torchscript, digitinfer model, output kind)]: the zoo's native-engine models + ConvNet."""
    golden = json.load(open(os.path.join(ZOO, "golden.json")))["models"]
    out = []
    for g in golden:
        if g["source"] == "committed" and g["engine"] == "native" and g["file"].endswith(".traced.pt"):
            pt = os.path.join("tests/data/zoo", g["file"])
            out.append((g["name"], pt, pt, g["output"]))
    out.append(("convnet", "models/convnet.traced.pt", "models/convnet.dimodel", "log_probabilities"))
    return [m for m in out if not only or m[0] in only]


def export_onnx(pt, path, opset):
    """torch.onnx.export of the TorchScript file; returns the stand-in symbolics it needed."""
    import torch
    from torch.onnx import symbolic_helper as sh

    @sh.parse_args("v", "is")
    def adaptive_avg_pool2d(g, x, output_size):
        ks, ss = [], []
        for n, o in zip(sh._get_tensor_sizes(x)[2:], output_size):
            starts = [i * n // o for i in range(o)]
            lens = {-(-(i + 1) * n // o) - s for i, s in enumerate(starts)}
            steps = {b - a for a, b in zip(starts, starts[1:])} or {1}
            if len(lens) != 1 or len(steps) != 1:
                raise RuntimeError(f"adaptive_avg_pool2d {n} -> {o}: bins of unequal size or spacing")
            ks.append(lens.pop())
            ss.append(steps.pop())
        return g.op("AveragePool", x, kernel_shape_i=ks, strides_i=ss)

    @sh.parse_args("v", "v", "v", "is", "s", "is", "i")
    def convolution_mode(g, x, w, b, stride, padding, dilation, groups):
        k = sh._get_tensor_sizes(w)[2:]
        pads = [0, 0, 0, 0]
        if padding == "same":
            total = [d * (kk - 1) for d, kk in zip(dilation, k)]
            pads = [total[0] // 2, total[1] // 2, total[0] - total[0] // 2, total[1] - total[1] // 2]
        inputs = [x, w] + ([] if sh._is_none(b) else [b])
        return g.op("Conv", *inputs, kernel_shape_i=k, strides_i=stride, dilations_i=dilation, group_i=groups,
                    pads_i=pads)

    stand_ins = {"aten::adaptive_avg_pool2d": adaptive_avg_pool2d, "aten::_convolution_mode": convolution_mode}
    model = torch.jit.load(os.path.join(ROOT, pt), map_location="cpu").eval()

    def export():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path, input_names=["input"], output_names=["output"],
                              dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, opset_version=opset,
                              do_constant_folding=True)
    try:
        export()
        return []
    except Exception as e:  # torch.onnx.errors.* (1.13 has several); retry with the stand-ins
        first = str(e).splitlines()[0]
    used = [op for op in stand_ins if op.split("::")[1] in first]
    if not used:
        raise SystemExit(f"{pt}: ONNX export failed: {first}")
    for op in used:
        torch.onnx.register_custom_op_symbolic(op, stand_ins[op], 9)
    try:
        export()
    finally:
        for op in used:
            torch.onnx.unregister_custom_op_symbolic(op, 9)
    return used


def ref_log_probabilities(values, kind, classes=10):
    """libtorch's output as log-probabilities (what di_outputs.log_probabilities holds)."""
    out = []
    for r in range(len(values) // classes):
        row = values[r * classes:(r + 1) * classes]
        if kind == "probabilities":
            row = [math.log(max(v, 1e-45)) for v in row]
        m = max(row)
        lse = m + math.log(sum(math.exp(v - m) for v in row))
        out += [v - lse for v in row]
    return out


def build_probe(build_dir, out):
    """bench/zoo/plan_probe (which runner, per-node costs) against the build's static libraries, and the
    .dimodel of each zoo model for it (bindings/python's export_native, in a process of its own)."""
    probe = os.path.join(out, "plan_probe")
    libs = [os.path.join(build_dir, "src", d, f"libdigitinfer_{d}.a") for d in ("format", "engine")]
    r = subprocess.run(["c++", "-O2", "-std=c++17", "-fopenmp", "-I" + os.path.join(ROOT, "src"),
                        "-I" + os.path.join(ROOT, "include"), os.path.join(HERE, "plan_probe.cpp"), *libs, "-o", probe],
                       capture_output=True, text=True)
    if r.returncode:
        print(f"   plan_probe did not build (runner column left blank):\n{r.stderr[-1000:]}", file=sys.stderr)
        return None
    os.makedirs(os.path.join(out, "dimodel"), exist_ok=True)
    code = ("import glob, os, sys\n"
            "sys.path.insert(0, 'bindings/python')\n"
            "import digitinfer\n"
            "for p in sorted(glob.glob('tests/data/zoo/*.traced.pt')):\n"
            "    try:\n"
            "        with digitinfer.Model(p, engine=digitinfer.Engine.NATIVE) as m:\n"
            "            m.export_native(os.path.join(sys.argv[1], os.path.basename(p).split('.')[0] + '.dimodel'))\n"
            "    except digitinfer.Error:\n"
            "        pass  # the deliberately unsupported model\n")
    env = dict(os.environ, DIGITINFER_CACHE_DIR="off",
               DIGITINFER_LIBRARY=os.path.join(build_dir, "libdigitinfer.so.1"))
    subprocess.run([sys.executable, "-c", code, os.path.join(out, "dimodel")], cwd=ROOT, env=env, check=True)
    return probe


def distance(values, ref, scaled=False):
    """max |difference|; scaled: relative beyond magnitude 1 (log-probabilities reach -60, where float32
    steps are 4e-6, so the 1e-5 check is absolute up to 1 and relative beyond)."""
    if len(values) != len(ref):
        return float("inf")
    return max(abs(x - y) / (max(1.0, abs(y)) if scaled else 1.0) for x, y in zip(values, ref))


# --------------------------------------------------------------------------- running

class Runner(C.Runner):
    """compare.py's Runner with a total budget for waiting on a quiet machine."""

    def __init__(self, budget, per_process, threshold, retries):
        super().__init__(threshold, per_process, True, retries)
        self.budget, self.per_process = budget, per_process

    def wait_quiet(self, with_niced=False):
        self.quiet_wait = min(self.per_process, max(0.0, self.budget - self.waited))
        super().wait_quiet(with_niced)


def wait_for_load(limit, longest):
    """Waits (at most `longest` s) until the 1-minute load average is below `limit`; returns seconds waited."""
    t0 = time.monotonic()
    while os.getloadavg()[0] >= limit and time.monotonic() - t0 < longest:
        time.sleep(10)
    return time.monotonic() - t0


def measure(a, models, bins, ort_py, onnx, old):
    os.environ["DIGITINFER_CACHE_DIR"] = "off"  # no compiled-model cache: load-time only, and not ours to fill
    R = {"machine": C.machine(), "command": " ".join(["/usr/bin/python3", "bench/zoo/bench_zoo.py"] + sys.argv[1:]),
         "started": datetime.datetime.now().astimezone().isoformat(timespec="seconds"), "models": {},
         "rounds": {}, "checks": {}, "onnx": {}, "notes": []}
    R["load_before_wait"] = os.getloadavg()
    R["waited_for_load_s"] = round(wait_for_load(a.load_limit, a.start_wait), 1)
    R["load_at_start"] = os.getloadavg()
    print(f"== load {R['load_at_start'][0]:.2f} after waiting {R['waited_for_load_s']:.0f} s", file=sys.stderr)
    run_ = Runner(max(0.0, a.wait_budget - R["waited_for_load_s"]), a.quiet_wait, a.quiet_threshold, a.retries)

    # Agreement.
    unfrozen = set()
    for name, pt, dim, kind in models:
        chk = {"libtorch": run_([bins["plain_libtorch"], "check", pt], tag=False)[0]["log_probabilities"],
               "ort": run_([ort_py, ORT_BENCH, "check", onnx[name]], tag=False)[0]["log_probabilities"]}
        try:
            chk["libtorch_frozen"] = run_([bins["plain_libtorch"], "check", pt, "--freeze"], tag=False)[0][
                "log_probabilities"]
        except RuntimeError as e:  # optimize_for_inference's MKLDNN ops do not run every model
            err = [line.strip() for line in str(e).splitlines() if line.strip()][-1]
            R["notes"].append(f"{name}: libtorch frozen + optimize_for_inference fails ({err}): plain libtorch "
                              "(torch::jit::load, not frozen) measured in its place")
            unfrozen.add(name)
            chk["libtorch_frozen"] = chk["libtorch"]
        d = run_([bins["digitinfer_bench"], "check", dim, "--engine", "native"], tag=False)[0]
        ref = chk["libtorch"]
        R["checks"][name] = {"ort_vs_libtorch": distance(chk["ort"], ref),
                             "ort_vs_libtorch_scaled": distance(chk["ort"], ref, scaled=True),
                             "frozen_vs_libtorch": distance(chk["libtorch_frozen"], ref),
                             "native_logp_vs_libtorch": distance(d["log_probabilities"], ref_log_probabilities(ref, kind)),
                             "native_engine": d.get("engine"), "outputs": len(ref)}
        print(f"   {name}: {R['checks'][name]}", file=sys.stderr)
    keep = [m for m in models
            if R["checks"][m[0]]["ort_vs_libtorch_scaled"] <= 1e-5 and R["checks"][m[0]]["native_engine"] == "native"]
    for name, v in R["checks"].items():
        if v["frozen_vs_libtorch"] > 1e-3:
            R["notes"].append(f"{name}: libtorch frozen + optimize_for_inference computes another function "
                              f"(max |difference| {v['frozen_vs_libtorch']:.3g} from libtorch as loaded); timed anyway")
    for m in models:
        if m not in keep:
            R["notes"].append(f"{m[0]} left out: {R['checks'][m[0]]}")

    # Jobs: (model, label, cmd, threads); a round runs them all, reversed on odd rounds.
    mt, bl = str(a.min_time), ",".join(map(str, a.batches))
    jobs = []
    for name, pt, dim, _ in keep:
        for n in a.threads:
            common = ["--threads", str(n), "--batches", bl, "--min-time", mt]
            jobs += [(name, "native", [bins["digitinfer_bench"], "forward", dim, "--engine", "native", *common], n),
                     (name, "libtorch_frozen", [bins["plain_libtorch"], "forward", pt,
                                                *([] if name in unfrozen else ["--freeze"]), *common], n),
                     (name, "ort", [ort_py, ORT_BENCH, "forward", onnx[name], *common], n)]
            if old and name == "convnet":
                jobs.append(("convnet", "old", [old["digitinfer_bench"], "forward", old["model"], *common], n))
    if old:
        e2e = [E2E_IMAGE, "--threads", "1", "--min-time", mt]
        jobs += [("convnet", "e2e_new", [bins["digitinfer_bench"], "e2e", "models/convnet.dimodel", *e2e], 1),
                 ("convnet", "e2e_old", [old["digitinfer_bench"], "e2e", old["model"], *e2e], 1)]
    raw = []
    for rnd in range(a.rounds):
        run_.round = rnd
        with C.Section(f"round {rnd + 1}", R["rounds"]):
            for model, label, cmd, n in (jobs if rnd % 2 == 0 else list(reversed(jobs))):
                for row in run_(cmd, n):
                    row["model"], row["label"] = model, label
                    raw.append(row)
    R["raw_results"] = raw
    R["unfrozen"] = sorted(unfrozen)
    R["results"] = aggregate(raw)
    R["finished"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    R["load_at_end"] = os.getloadavg()
    R["waited_for_quiet_s"] = round(run_.waited, 1)
    R["reruns"] = run_.reruns
    R["uptime_end"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    return R


DISTURBED = 0.3  # cores other processes used while a measuring process ran


def aggregate(raw):
    """compare.py's aggregate per (model, label), plus how many rounds were disturbed."""
    out = []
    for key in sorted({(r["model"], r["label"]) for r in raw}):
        rows = [r for r in raw if (r["model"], r["label"]) == key]
        for a in C.aggregate(rows):
            same = [r for r in rows if all(r.get(k) == a.get(k) for k in ("impl", "kind", "threads", "batch"))]
            a["disturbed_rounds"] = sum(r.get("others_cores", 0) > DISTURBED for r in same)
            out.append(a)
    return out


def merge(paths):
    """Several runs: per (model, thread count), all implementations from the run in which the fewest
    of that group's processes were disturbed (a rule on the machine's load, never on the figures)."""
    runs = [json.load(open(p)) for p in paths]
    R = dict(runs[0])
    R["sources"] = [{"file": os.path.relpath(p, ROOT), "summary": summary(r)} for p, r in zip(paths, runs)]
    R["chosen"], raw = {}, []
    for key in sorted({(r["model"], r["threads"]) for run in runs for r in run["raw_results"]}):
        score = lambda run: (sum(r.get("others_cores", 0) > DISTURBED for r in run["raw_results"]  # noqa: E731
                                 if (r["model"], r["threads"]) == key),
                             sum(r.get("others_cores", 0) for r in run["raw_results"] if (r["model"], r["threads"]) == key))
        best = min(range(len(runs)), key=lambda i: score(runs[i]))
        R["chosen"][f"{key[0]} {key[1]}T"] = chr(ord("A") + best)
        raw += [r for r in runs[best]["raw_results"] if (r["model"], r["threads"]) == key]
    R["raw_results"], R["results"] = raw, aggregate(raw)
    return R


# --------------------------------------------------------------------------- tables

def cell(r, batch, rate):
    """'median (min–max)' of the round medians: µs per call, or images/s."""
    if not r:
        return "—"
    meds = r["round_medians_s"]
    if rate:
        f = lambda s: f"{batch / s:,.0f}"  # noqa: E731
        lo, hi = f(meds[-1]), f(meds[0])
    else:
        f = lambda s: f"{s * 1e6:,.1f}" if s < 1e-3 else f"{s * 1e6:,.0f}"  # noqa: E731
        lo, hi = f(meds[0]), f(meds[-1])
    mark = " †" if 2 * r.get("disturbed_rounds", 0) > len(meds) else ""
    return f"{f(r['median_s'])} ({lo}–{hi}){mark}" if len(meds) > 1 else f(r["median_s"]) + mark


def render(R):
    rows = R["results"]
    one = lambda **kw: next((r for r in rows if all(r.get(k) == v for k, v in kw.items())), None)  # noqa: E731
    threads = sorted({r["threads"] for r in rows if r["kind"] == "forward"})
    batches = sorted({r["batch"] for r in rows if r["kind"] == "forward"})
    b1, bn = batches[0], batches[-1]
    out = []
    header = ([f"batch {b1}, {t}T, µs" for t in threads] + [f"batch {bn}, {t}T, images/s" for t in threads])
    for name in R["order"]:
        info = R["models"].get(name, {})
        if not one(model=name, label="native"):
            continue
        out += [f"#### `{name}`", "",
                f"Native engine path: **{info.get('runner', '?')} runner**; {info.get('macs', 0) / 1e6:.2f} M "
                f"multiply-adds per image; plan as the engine runs it: {info.get('plan', '?')}.", ""]
        out += ["| implementation | " + " | ".join(header) + " |", "|---|" + "---:|" * len(header)]
        for label, title in IMPLS:
            if label == "libtorch_frozen" and name in R.get("unfrozen", []):
                title = "libtorch, **not** frozen (frozen + optimized fails)"
            cells = [cell(one(model=name, label=label, threads=t, batch=b1, kind="forward"), b1, False) for t in threads]
            cells += [cell(one(model=name, label=label, threads=t, batch=bn, kind="forward"), bn, True) for t in threads]
            out.append(f"| {title} | " + " | ".join(cells) + " |")
        out += ["", "Verdict: " + verdict(one, name, threads, b1, bn), ""]
    return "\n".join(out)


def ratio(one, name, t, b):
    n = one(model=name, label="native", threads=t, batch=b, kind="forward")
    o = one(model=name, label="ort", threads=t, batch=b, kind="forward")
    return o["median_s"] / n["median_s"] if n and o else None


def verdict(one, name, threads, b1, bn):
    parts = []
    for b in (b1, bn):
        rs = [(t, ratio(one, name, t, b)) for t in threads]
        desc = ", ".join(f"{x:.2f}× at {t}T" for t, x in rs if x)
        word = ("faster than ORT" if all(x and x > 1 for _, x in rs) else
                "**slower than ORT**" if all(x and x < 1 for _, x in rs) else "**mixed**")
        parts.append(f"batch {b} {word} ({desc})")
    return "; ".join(parts) + " — ORT time ÷ native time."


def render_summary(R):
    """One line per model: the runner and native's speed against ORT (ORT time ÷ native time)."""
    rows = R["results"]
    one = lambda **kw: next((r for r in rows if all(r.get(k) == v for k, v in kw.items())), None)  # noqa: E731
    threads = sorted({r["threads"] for r in rows if r["kind"] == "forward"})
    batches = sorted({r["batch"] for r in rows if r["kind"] == "forward"})
    cols = [(b, t) for b in (batches[0], batches[-1]) for t in threads]
    out = ["| model | runner | " + " | ".join(f"batch {b}, {t}T" for b, t in cols) + " |",
           "|---|---|" + "---:|" * len(cols)]
    for name in R["order"]:
        if not one(model=name, label="native"):
            continue
        cells = []
        for b, t in cols:
            x = ratio(one, name, t, b)
            cells.append("—" if x is None else f"{x:.2f}×" if x >= 1 else f"**{x:.2f}×**")
        out.append(f"| `{name}` | {R['models'].get(name, {}).get('runner', '?')} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def render_regression(R):
    rows = R["results"]
    one = lambda **kw: next((r for r in rows if all(r.get(k) == v for k, v in kw.items())), None)  # noqa: E731
    if not one(model="convnet", label="old"):
        return ""
    old = R.get("old", {})
    out = ["| measurement | " + f"{old.get('commit', 'old')} | current | time, current ÷ old |", "|---|---:|---:|---:|"]
    threads = sorted({r["threads"] for r in rows if r["label"] == "old"})
    batches = sorted({r["batch"] for r in rows if r["label"] == "old" and r["kind"] == "forward"})
    for b in batches:
        for t in threads:
            o = one(model="convnet", label="old", threads=t, batch=b, kind="forward")
            n = one(model="convnet", label="native", threads=t, batch=b, kind="forward")
            unit = "µs per call" if b == 1 else "images/s"
            out.append(f"| forward batch {b}, {t}T, {unit} | {cell(o, b, b != 1)} | {cell(n, b, b != 1)} | "
                       f"{n['median_s'] / o['median_s']:.3f} |")
    o, n = one(label="e2e_old", kind="e2e"), one(label="e2e_new", kind="e2e")
    if o and n:
        out.append(f"| e2e `{E2E_IMAGE}`, 1T, µs | {cell(o, 1, False)} | {cell(n, 1, False)} | "
                   f"{n['median_s'] / o['median_s']:.3f} |")
    return "\n".join(out)


def summary(R):
    m = R["machine"]
    lines = [f"- date {R['started']} – {R['finished']}; {m.get('Model name')} ({m.get('cores')} cores, "
             f"{m.get('Hypervisor vendor', 'no')} hypervisor, AVX-512 {m.get('avx512f')}); git {m.get('git_head')}"
             f"{' + work tree edits' if m.get('git_dirty') else ''}",
             f"- load average: {R['load_before_wait'][0]:.2f} before, {R['load_at_start'][0]:.2f} at start (waited "
             f"{R['waited_for_load_s']:.0f} s), {R['load_at_end'][0]:.2f} at end; waited {R['waited_for_quiet_s']:.0f} s "
             f"more for quiet between processes; {R['reruns']} disturbed processes rerun"]
    for k, v in R["rounds"].items():
        lines.append(f"- {k}: {v['wall_s']:.0f} s, load {v['load_before']:.2f} → {v['load_after']:.2f}, other processes "
                     f"used {v['other_cpu_cores']:.2f} cores on average (+{v['niced_cpu_cores']:.2f} niced)")
    others = sorted(r.get("others_cores", 0) for r in R["raw_results"])
    if others:
        lines.append(f"- per process, cores other processes used: median {others[len(others) // 2]:.2f}, "
                     f"max {others[-1]:.2f} ({sum(o > 0.3 for o in others)} of {len(others)} above 0.3)")
    lines.append("- agreement with plain libtorch on the shared test batch, max |difference| (ORT: also relative "
                 "beyond magnitude 1): " + "; ".join(
                     f"{k} ORT {v['ort_vs_libtorch']:.1e} ({v.get('ort_vs_libtorch_scaled', 0):.1e}), frozen "
                     f"{v['frozen_vs_libtorch']:.1e}, native {v['native_logp_vs_libtorch']:.1e}"
                     for k, v in R["checks"].items()))
    for k, v in R["onnx"].items():
        if v["stand_ins"]:
            lines.append(f"- ONNX export of {k} used the stand-in for {', '.join(v['stand_ins'])}")
    lines += [f"- note: {n}" for n in R["notes"]]
    return "\n".join(lines)


def write_outputs(R, out, name="zoo"):
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(R, f, indent=1)
    if "sources" in R:
        head = "\n\n".join([f"Run {chr(ord('A') + i)} ({s['file']}):\n\n{s['summary']}" for i, s in enumerate(R["sources"])]
                           + ["Figures per model and thread count from run " + ", ".join(
                               f"{k}: {v}" for k, v in R["chosen"].items())])
    else:
        head = summary(R)
    md = "\n\n".join([head, "† the median round was disturbed (others > 0.3 cores in most rounds): not a figure to trust.",
                       "#### Native against ORT (ORT time ÷ native time; bold: slower)",
                       render_summary(R), render(R), "#### Reference model, before/after", render_regression(R)])
    with open(os.path.join(out, name + ".md"), "w") as f:
        f.write(md + "\n")
    print(md)


# --------------------------------------------------------------------------- main

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build-bench"))
    p.add_argument("--old-build", help="bench/side_by_side build of an older commit (its digitinfer_bench)")
    p.add_argument("--old-model", help="the .dimodel the old build reads (e.g. its own models/convnet.dimodel)")
    p.add_argument("--old-commit", default="old", help="label for the old build")
    p.add_argument("--ort-python", default="/tmp/ort-venv/bin/python")
    p.add_argument("--out", default=None, help="ONNX files, zoo.json, zoo.md (default BUILD_DIR/zoo)")
    p.add_argument("--models", default="", help="only these (comma-separated names; convnet = the reference)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--min-time", type=float, default=0.5)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--batches", default="1,64")
    p.add_argument("--opset", type=int, default=13)
    p.add_argument("--load-limit", type=float, default=1.0, help="wait for a load average below this first")
    p.add_argument("--start-wait", type=float, default=300, help="longest wait for it, s")
    p.add_argument("--wait-budget", type=float, default=600, help="all waiting for quiet together, s")
    p.add_argument("--quiet-wait", type=float, default=5, help="longest wait for quiet before one process, s")
    p.add_argument("--quiet-threshold", type=float, default=0.15)
    p.add_argument("--retries", type=int, default=1)
    p.add_argument("--from-json", help="re-render an earlier run's zoo.json (next to it); measure nothing")
    p.add_argument("--merge", nargs="+", metavar="JSON",
                   help="runs' zoo.json files: per model and thread count the least disturbed run's figures "
                        "(to --out, default the first file's directory, as merged.json/merged.md)")
    a = p.parse_args()
    if a.from_json:
        R = json.load(open(a.from_json))
        R["results"] = aggregate(R["raw_results"])
        write_outputs(R, os.path.dirname(os.path.abspath(a.from_json)), os.path.basename(a.from_json)[:-5])
        return 0
    if a.merge:
        write_outputs(merge(a.merge), a.out or os.path.dirname(os.path.abspath(a.merge[0])), "merged")
        return 0
    os.chdir(ROOT)
    a.threads = [int(t) for t in a.threads.split(",")]
    a.batches = [int(b) for b in a.batches.split(",")]
    out = os.path.abspath(a.out or os.path.join(a.build_dir, "zoo"))
    os.makedirs(out, exist_ok=True)
    bins = {n: os.path.join(a.build_dir, "bench", "side_by_side", n) for n in ("digitinfer_bench", "plain_libtorch")}
    for b in bins.values():
        if not os.access(b, os.X_OK):
            raise SystemExit(f"{b} missing: bench/zoo/run.sh builds it")
    old = None
    if a.old_build:
        old = {"digitinfer_bench": os.path.join(a.old_build, "digitinfer_bench"), "model": a.old_model,
               "commit": a.old_commit}
    models = zoo_models(set(filter(None, a.models.split(","))))
    onnx, onnx_info = {}, {}
    for name, pt, _, _ in models:
        onnx[name] = os.path.join(out, name + ".onnx")
        onnx_info[name] = {"file": os.path.relpath(onnx[name], ROOT), "opset": a.opset,
                           "stand_ins": export_onnx(pt, onnx[name], a.opset)}
        print(f"   exported {pt} -> {onnx_info[name]['file']} {onnx_info[name]['stand_ins'] or ''}", file=sys.stderr)
    R = measure(a, models, bins, a.ort_python, onnx, old)
    R["onnx"], R["old"], R["order"] = onnx_info, old, [m[0] for m in models]
    probe = build_probe(a.build_dir, out)
    for name, pt, dim, _ in models:
        R["models"][name] = {"torchscript": pt, "digitinfer": dim}
        path = dim if dim.endswith(".dimodel") else os.path.join(out, "dimodel", name + ".dimodel")
        if probe and os.path.exists(path):
            info = json.loads(subprocess.run([probe, path], capture_output=True, text=True, check=True).stdout)
            R["models"][name].update(runner=info["runner"], macs=info["flops_per_image"] / 2,
                                     plan=" → ".join(n["op"] for n in info["nodes"]))
    write_outputs(R, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
