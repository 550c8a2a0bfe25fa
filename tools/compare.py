#!/usr/bin/python3
"""DigitInfer side by side with the Python reference, plain libtorch and ONNX Runtime, in one run.

    /usr/bin/python3 tools/compare.py [--markdown FILE] [--json FILE] [--quick]
                                      [--only e2e,forward,area,cold,peak] [--source worktree|HEAD]

Measures, each in a fresh process, on this machine:

  e2e      encoded PNG bytes in memory -> digit, one thread: the Python reference pipeline of
           SPEC section 2 (tools/reference.py; torch.set_num_threads(1)) and DigitInfer
           (di_model_predict_encoded), on examples/images/digit-2.png (28x28 L) and
           tests/data/images/5-RGBA-251x248.png; the preprocessing alone too
  forward  normalized [N,1,28,28] tensor -> output, batch 1..1024, 1 and 2 threads: Python
           (torch.jit.load; and frozen + optimize_for_inference), plain libtorch C++
           (bench/side_by_side/plain_libtorch.cpp, plain and frozen), ONNX Runtime
           (bench/side_by_side/ort_bench.py on tools/export_onnx.py's graph) and DigitInfer
           (di_model_predict_tensor; bench/side_by_side/digitinfer_bench.cpp)
  area     e2e on generated RGBA PNGs from 28x28 to 2000x2000 (time against image area)
  cold     process start -> first digit (hyperfine, else repeated runs) and resident memory
           after load + one prediction, for the digitinfer CLI, the Python reference and the rest
  peak     bench/fma_peak (float32 FMA peak) and the model's exact multiply-add count, so that
           throughput reads as a share of the machine's peak

Every figure is a median over many timed calls after warm-up (p10/p90 kept in the JSON).
The C++ programs are built into build-bench/ (the top-level project with
-DDIGITINFER_BUILD_BENCHMARKS=ON when bench/CMakeLists.txt adds side_by_side, else
bench/side_by_side on its own); --source HEAD builds DigitInfer from the last commit instead of
the work tree. ONNX Runtime runs under another python3 with the onnxruntime wheel
(--ort-python; python3 -m pip install onnxruntime numpy).

This is a benchmark, not a test: nothing here passes or fails a build. The "targets" table says
how each figure compares with the goals the project set itself.
"""
import argparse
import datetime
import io
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(ROOT, "tools")
SBS = os.path.join(ROOT, "bench", "side_by_side")
E2E_IMAGES = ["examples/images/digit-2.png", "tests/data/images/5-RGBA-251x248.png"]
COLD_IMAGE = "examples/images/digit-7.png"
AREA_SIZES = [(28, 28), (100, 100), (251, 248), (640, 480), (1000, 1000), (2000, 2000)]
FULL_BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
QUICK_BATCHES = [1, 8, 64, 256, 1024]
SECTIONS = ("e2e", "forward", "area", "cold", "peak")

# Goals from the issue and SPEC section 5, for the targets table.
TARGET_E2E = {"examples/images/digit-2.png": 4.0, "tests/data/images/5-RGBA-251x248.png": 6.0}
PRODUCT_E2E = 15.0
TARGET_FORWARD_B1_US = 70.0
TARGET_PEAK_SHARE = 0.80
SPEC_PEAK_SHARE = 0.70
TARGET_COLD_S = 0.3


# --------------------------------------------------------------------------- timing helpers

def measure(f, min_time, min_iters=10, max_iters=200000, warmup=5):
    """Times single calls of f after `warmup` untimed ones; same rule as timing.hpp."""
    for _ in range(warmup):
        f()
    t = []
    total = 0.0
    clock = time.perf_counter
    while (len(t) < min_iters or total < min_time) and len(t) < max_iters:
        a = clock()
        f()
        s = clock() - a
        t.append(s)
        total += s
    t.sort()
    n = len(t)
    q = lambda p: t[min(n - 1, int(p * (n - 1) + 0.5))]  # noqa: E731
    return {"median_s": statistics.median(t), "p10_s": q(0.10), "p90_s": q(0.90), "n": n}


def memory():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key = line.split(":")[0]
            if key in ("VmHWM", "VmRSS"):
                out[key + "_kib"] = int(line.split()[1])
    return out


def test_batch(batch):
    """The shared deterministic input (bench/side_by_side/timing.hpp: test_pixel), as a torch tensor."""
    import torch
    i = torch.arange(28 * 28, dtype=torch.int64)
    j = torch.arange(batch, dtype=torch.int64)[:, None]
    v = ((i * 37 + j * 11) % 256).double() / 255.0
    return ((v - 0.1302) / 0.3069).float().reshape(batch, 1, 28, 28).contiguous()


# --------------------------------------------------------------------------- Python workers
# Each runs in its own process (compare.py _worker ...), so that thread settings, caches and
# memory figures of one measurement do not leak into another.

def worker_e2e(model_path, images, min_time):
    import torch
    from PIL import Image
    sys.path.insert(0, TOOLS)
    import reference
    torch.set_num_threads(1)
    model, meta = reference.load_model(model_path)
    for path in images:
        with open(path, "rb") as f:
            data = f.read()

        def e2e():
            with Image.open(io.BytesIO(data)) as img:
                return reference.predict(model, meta, img)["digit"]

        def pre():
            with Image.open(io.BytesIO(data)) as img:
                return reference.preprocess(img, meta)

        digit = e2e()
        print(json.dumps({"impl": "python_reference", "kind": "e2e", "threads": 1, "image": path,
                          "digit": digit, **measure(e2e, min_time)}), flush=True)
        print(json.dumps({"impl": "python_reference", "kind": "preprocess", "threads": 1, "image": path,
                          **measure(pre, min_time / 2)}), flush=True)


def python_model(model_path, frozen):
    import torch
    m = torch.jit.load(model_path, map_location="cpu").eval()
    if frozen:
        m = torch.jit.optimize_for_inference(torch.jit.freeze(m))
    return m


def worker_forward(model_path, threads, batches, min_time, frozen):
    import torch
    torch.set_num_threads(threads)
    m = python_model(model_path, frozen)
    impl = "python_frozen" if frozen else "python_jit"
    for batch in batches:
        x = test_batch(batch)
        with torch.inference_mode():
            stats = measure(lambda: m(x), min_time, 5 if batch >= 256 else 10)
        print(json.dumps({"impl": impl, "kind": "forward", "threads": threads, "batch": batch, **stats}),
              flush=True)


def worker_check(model_path, frozen):
    import torch
    m = python_model(model_path, frozen)
    with torch.inference_mode():
        out = m(test_batch(2))
    print(json.dumps({"impl": "python_frozen" if frozen else "python_jit", "kind": "check",
                      "log_probabilities": [float(v) for v in out.reshape(-1)]}))


def worker_once(model_path, image):
    """What tools/reference.py does for one image, then this process's memory."""
    import torch
    from PIL import Image
    sys.path.insert(0, TOOLS)
    import reference
    torch.set_num_threads(1)
    model, meta = reference.load_model(model_path)
    with Image.open(image) as img:
        digit = reference.predict(model, meta, img)["digit"]
    print(json.dumps({"impl": "python_reference", "kind": "memory", "digit": digit, **memory()}))


def worker_main(argv):
    p = argparse.ArgumentParser(prog="compare.py _worker")
    p.add_argument("mode", choices=("e2e", "forward", "check", "once"))
    p.add_argument("--model", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batches", default="1")
    p.add_argument("--min-time", type=float, default=1.0)
    p.add_argument("--frozen", action="store_true")
    p.add_argument("images", nargs="*")
    a = p.parse_intermixed_args(argv)
    if a.mode == "e2e":
        worker_e2e(a.model, a.images, a.min_time)
    elif a.mode == "forward":
        worker_forward(a.model, a.threads, [int(b) for b in a.batches.split(",")], a.min_time, a.frozen)
    elif a.mode == "check":
        worker_check(a.model, a.frozen)
    else:
        worker_once(a.model, a.images[0])
    return 0


# --------------------------------------------------------------------------- machine and load

def cpu_busy(with_niced=False):
    """(busy seconds of all CPUs, seconds of CPU used by this process and its waited-for children).

    Niced work (e.g. a `nice -n19` compile) is left out unless `with_niced`: a one-thread
    measurement still has a core of its own next to it. It is not harmless to two threads: nice
    only ranks processes within one cgroup, and other people's sessions run in cgroups of their
    own, so a niced compile there takes its share of the cores all the same."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal ...
    busy = fields[0] + fields[2] + sum(fields[5:8]) + (fields[1] if with_niced else 0)
    t = os.times()
    return busy / os.sysconf("SC_CLK_TCK"), t.user + t.system + t.children_user + t.children_system


def cpu_niced():
    """Seconds of CPU spent in niced processes, all CPUs."""
    with open("/proc/stat") as f:
        return int(f.readline().split()[2]) / os.sysconf("SC_CLK_TCK")


class Section:
    """Measures how busy the machine was with other people's work during a section."""

    def __init__(self, name, log):
        self.name, self.log = name, log

    def __enter__(self):
        self.t0 = time.monotonic()
        self.busy0, self.ours0 = cpu_busy()
        self.nice0 = cpu_niced()
        self.load0 = os.getloadavg()[0]
        print(f"== {self.name} (load average {self.load0:.2f})", file=sys.stderr, flush=True)
        return self

    def __exit__(self, *exc):
        wall = time.monotonic() - self.t0
        busy, ours = cpu_busy()
        # Our own children are counted when they are waited for, which all are by now.
        other = max(0.0, (busy - self.busy0) - (ours - self.ours0)) / max(wall, 1e-9)
        niced = (cpu_niced() - self.nice0) / max(wall, 1e-9)
        self.log[self.name] = {"wall_s": round(wall, 1), "load_before": round(self.load0, 2),
                               "load_after": round(os.getloadavg()[0], 2),
                               "other_cpu_cores": round(other, 2), "niced_cpu_cores": round(niced, 2)}
        print(f"   {self.name}: {wall:.0f} s, other processes used {other:.2f} cores on average (+{niced:.2f} niced)",
              file=sys.stderr, flush=True)
        return False


def machine():
    info = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "kernel": platform.release(), "cores": os.cpu_count()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for key in ("Model name", "CPU family", "Model", "Thread(s) per core", "Core(s) per socket",
                    "L2 cache", "L3 cache", "Hypervisor vendor"):
            m = re.search(rf"^{re.escape(key)}:\s*(.+)$", out, re.M)
            if m:
                info[key] = m.group(1).strip()
        info["avx512f"] = " avx512f " in out
    except OSError:
        pass
    with open("/proc/meminfo") as f:
        info["memory_gib"] = round(int(f.readline().split()[1]) / 2 ** 20, 1)
    import torch
    import torchvision
    import PIL
    info["python"] = platform.python_version()
    info["torch"] = torch.__version__
    info["torchvision"] = torchvision.__version__
    info["pillow"] = PIL.__version__
    info["torch_parallel"] = torch.__config__.parallel_info().splitlines()[0:4]
    git = lambda *a: subprocess.run(["git", "-C", ROOT, *a], capture_output=True, text=True).stdout.strip()  # noqa: E731
    info["git_head"] = git("rev-parse", "--short", "HEAD")
    info["git_dirty"] = bool(git("status", "--porcelain", "--untracked-files=no"))
    info["uptime"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    return info


# --------------------------------------------------------------------------- building

def run(cmd, **kw):
    print("   $ " + " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, **kw)


def configure_and_build(src, build, defs, targets, log):
    cfg = ["cmake", "-S", src, "-B", build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release"] + [f"-D{d}" for d in defs]
    r = run(cfg, stdout=log, stderr=subprocess.STDOUT)
    if r.returncode:
        return False
    r = run(["cmake", "--build", build, "-j", str(os.cpu_count() or 2), "--target", *targets],
            stdout=log, stderr=subprocess.STDOUT)
    return r.returncode == 0


def export_head(build_root):
    """The last commit's tree, exported under build-bench/ (the work tree may be mid-edit)."""
    sha = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True, text=True,
                         check=True).stdout.strip()
    dest = os.path.join(build_root, f"src-{sha[:12]}")
    if not os.path.isdir(dest):
        os.makedirs(dest + ".tmp", exist_ok=True)
        archive = subprocess.Popen(["git", "-C", ROOT, "archive", "HEAD"], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", dest + ".tmp"], stdin=archive.stdout, check=True)
        archive.wait()
        os.rename(dest + ".tmp", dest)
    return dest, sha[:12]


def build_binaries(a, notes):
    """Returns {"plain_libtorch", "digitinfer_bench", "digitinfer_cli", "fma_peak": path or None}."""
    build_root = a.build_dir
    os.makedirs(build_root, exist_ok=True)
    logpath = os.path.join(build_root, "compare-build.log")
    found = {}
    with open(logpath, "a") as log:
        bench_cmake = os.path.join(ROOT, "bench", "CMakeLists.txt")
        top_adds_sbs = os.path.exists(bench_cmake) and "side_by_side" in open(bench_cmake).read()
        # 1. The top-level project with the benchmarks on (builds fma_peak too).
        if os.path.exists(bench_cmake) and not a.no_build:
            ok = configure_and_build(ROOT, build_root,
                                     ["DIGITINFER_BUILD_BENCHMARKS=ON", "DIGITINFER_BUILD_TESTS=OFF",
                                      "DIGITINFER_BUILD_EXAMPLES=OFF"],
                                     (["plain_libtorch", "digitinfer_bench"] if top_adds_sbs and a.source == "worktree"
                                      else []) + ["fma_peak"], log)
            if not ok:
                notes.append(f"top-level build with DIGITINFER_BUILD_BENCHMARKS=ON failed (see {logpath})")
        if top_adds_sbs and a.source == "worktree":
            for name in ("plain_libtorch", "digitinfer_bench"):
                p = os.path.join(build_root, "bench", "side_by_side", name)
                if os.access(p, os.X_OK):
                    found[name] = p
            found["digitinfer_cli"] = os.path.join(build_root, "examples", "cli", "digitinfer")
        # 2. bench/side_by_side on its own, against the work tree or the last commit.
        if len(found) < 2:
            if a.source == "HEAD":
                src, sha = export_head(build_root)
                sub = os.path.join(build_root, f"side_by_side-{sha}")
                notes.append(f"DigitInfer built from commit {sha} (git archive HEAD), not the work tree")
            else:
                src, sub = ROOT, os.path.join(build_root, "side_by_side")
            if not a.no_build:
                ok = configure_and_build(SBS, sub, [f"DIGITINFER_SOURCE_DIR={src}"],
                                         ["plain_libtorch", "digitinfer_bench", "digitinfer_cli"], log)
                if not ok:
                    raise SystemExit(f"building bench/side_by_side against {src} failed: see {logpath}"
                                     + ("" if a.source == "HEAD" else " (try --source HEAD if the work tree is mid-edit)"))
            for name in ("plain_libtorch", "digitinfer_bench"):
                p = os.path.join(sub, name)
                if not os.access(p, os.X_OK):
                    raise SystemExit(f"{p} is missing")
                found[name] = p
            found["digitinfer_cli"] = os.path.join(sub, "digitinfer", "examples", "cli", "digitinfer")
    if not os.access(found.get("digitinfer_cli", ""), os.X_OK):
        found["digitinfer_cli"] = None
    # fma_peak: built by the benchmarks' CMake (bench/CMakeLists.txt), ours or the lead's.
    found["fma_peak"] = None
    for p in (os.path.join(build_root, "bench", "fma_peak"), os.path.join(ROOT, "build", "bench", "fma_peak")):
        if os.access(p, os.X_OK):
            found["fma_peak"] = p
            break
    own = os.path.join(build_root, "fma_peak")
    if found["fma_peak"] is None and a.no_build and os.access(own, os.X_OK):
        found["fma_peak"] = own
        notes.append("fma_peak: compiled earlier by compare.py from bench/fma_peak.cpp (no bench/ CMake target found)")
    if found["fma_peak"] is None and os.path.exists(os.path.join(ROOT, "bench", "fma_peak.cpp")) and not a.no_build:
        # No CMake for it yet: compile the same source the way bench/ would (-O2, no -march).
        out = os.path.join(build_root, "fma_peak")
        r = run(["c++", "-O2", "-std=c++17", "-pthread", os.path.join(ROOT, "bench", "fma_peak.cpp"), "-o", out],
                capture_output=True, text=True)
        if r.returncode == 0:
            found["fma_peak"] = out
            notes.append("fma_peak compiled by compare.py from bench/fma_peak.cpp (no bench/ CMake target found)")
        else:
            notes.append("bench/fma_peak.cpp did not compile: " + r.stderr.strip()[:200])
    return found


def find_ort_python(requested):
    candidates = [requested] if requested else []
    for name in ("python3", "python3.11", "python3.12", "python3.10"):
        p = shutil.which(name)
        if p and os.path.realpath(p) != os.path.realpath(sys.executable):
            candidates.append(p)
    for py in candidates:
        r = subprocess.run([py, "-c", "import onnxruntime, numpy; print(onnxruntime.__version__)"],
                           capture_output=True, text=True)
        if r.returncode == 0:
            return py, r.stdout.strip()
    return None, None


# --------------------------------------------------------------------------- running

class Runner:
    """Runs the measuring processes: waits for a quiet machine first, pins BLAS threads, and tags
    every result with the round and the CPU other processes used meanwhile (in cores)."""

    def __init__(self, quiet_threshold, quiet_wait, pin_blas, retries):
        self.quiet_threshold, self.quiet_wait, self.pin_blas = quiet_threshold, quiet_wait, pin_blas
        self.retries = retries
        self.round = 0
        self.waited = 0.0
        self.reruns = 0

    def wait_quiet(self, with_niced=False):
        """Returns once other processes used < quiet_threshold cores for two 0.5 s windows in a row
        (counting niced ones too when `with_niced`: for measurements that need every core)."""
        if self.quiet_wait <= 0:
            return
        t0 = time.monotonic()
        quiet = 0
        while quiet < 2 and time.monotonic() - t0 < self.quiet_wait:
            b0, _ = cpu_busy(with_niced)
            time.sleep(0.5)
            b1, _ = cpu_busy(with_niced)
            quiet = quiet + 1 if (b1 - b0) / 0.5 < self.quiet_threshold else 0
        self.waited += time.monotonic() - t0

    def __call__(self, cmd, threads=None, tag=True):
        """Runs cmd; when other processes used more than 2x the quiet threshold meanwhile, runs it
        again (up to `retries` times) and keeps the run that was disturbed least (not the fastest)."""
        best = None
        for attempt in range(1 + (self.retries if tag else 0)):
            rows, others = self.once(cmd, threads)
            if best is None or others < best[1]:
                best = (rows, others)
            if others <= 2 * self.quiet_threshold:
                break
            self.reruns += 1
        rows, others = best
        if tag:
            for row in rows:
                row["round"], row["others_cores"] = self.round, round(others, 2)
        return rows

    def once(self, cmd, threads):
        env = dict(os.environ)
        every_core = bool(threads and threads >= (os.cpu_count() or 1))
        if threads and self.pin_blas:
            # libtorch's set_num_threads does not reach Debian's OpenBLAS (BLAS_INFO=generic), which
            # otherwise runs its own pool of one thread per core: "1 thread" would not be 1 thread.
            env["OPENBLAS_NUM_THREADS"] = str(threads)
        self.wait_quiet(every_core)
        busy0, ours0 = cpu_busy(every_core)
        t0 = time.monotonic()
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
        wall = time.monotonic() - t0
        busy1, ours1 = cpu_busy(every_core)
        if r.returncode:
            raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr[-2000:]}")
        others = max(0.0, (busy1 - busy0) - (ours1 - ours0)) / max(wall, 1e-9)
        return [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")], others


def aggregate(rows):
    """One row per configuration: the median over rounds of each round's median, and the spread."""
    groups = {}
    for r in rows:
        key = (r["impl"], r["kind"], r.get("threads"), r.get("batch"), r.get("image"))
        groups.setdefault(key, []).append(r)
    out = []
    for rs in groups.values():
        a = dict(rs[0])
        meds = sorted(x["median_s"] for x in rs)
        a["median_s"] = statistics.median(meds)
        a["round_medians_s"] = meds
        a["spread"] = (meds[-1] - meds[0]) / a["median_s"] if a["median_s"] else 0.0
        a["others_cores"] = max(x.get("others_cores", 0.0) for x in rs)
        a["n"] = sum(x["n"] for x in rs)
        a.pop("round", None)
        out.append(a)
    return out


def me(*args):
    return [sys.executable, os.path.abspath(__file__), "_worker", *args]


def mac_count(model_path):
    """Exact multiply-adds per image from the model's layers (conv: out elements x in/groups x kh x kw)."""
    import torch
    sys.path.insert(0, TOOLS)
    from convnet import ConvNet
    net = ConvNet().eval()
    scripted = torch.jit.load(model_path, map_location="cpu")
    net.load_state_dict({k: v for k, v in scripted.state_dict().items()})  # same layers, or this raises
    layers = []

    def hook(mod, inp, out):
        if isinstance(mod, torch.nn.Conv2d):
            macs = out.numel() * (mod.in_channels // mod.groups) * mod.kernel_size[0] * mod.kernel_size[1]
        else:
            macs = out.numel() * mod.in_features
        layers.append((type(mod).__name__, list(inp[0].shape[1:]), list(out.shape[1:]), macs))

    for mod in net.modules():
        if isinstance(mod, (torch.nn.Conv2d, torch.nn.Linear)):
            mod.register_forward_hook(hook)
    with torch.no_grad():
        net(torch.zeros(1, 1, 28, 28))
    return sum(l[3] for l in layers), layers


def run_fma_peak(path, runner, runs=3):
    """bench/fma_peak's GFLOP/s per thread count: the highest over `runs` runs, each started on a
    quiet machine (a peak is a ceiling: a run that shared its core with a compiler is not one)."""
    if not path:
        return None
    peak, outputs = {}, []
    for _ in range(runs):
        runner.wait_quiet(with_niced=True)
        out = subprocess.run([path], capture_output=True, text=True).stdout
        outputs.append(out.strip())
        for isa, threads, gflops in re.findall(r"(avx512|avx2)\s+\w+\s+(\d+) threads?\s*:\s*([\d.]+)\s*GFLOP/s",
                                               out):
            t = int(threads)
            peak[t] = max(peak.get(t, 0.0), float(gflops))
    result = {"gflops": peak, "runs": runs, "outputs": outputs, "this_run": dict(peak)}
    # The peak is the machine's ceiling: keep the best seen by earlier runs on this machine too, so
    # that one run whose cores were shared with someone's compile does not lower it.
    cache = os.path.join(os.path.dirname(path), "fma_peak_best.json")
    cpu = machine_key()
    try:
        with open(cache) as f:
            best = json.load(f)
    except (OSError, ValueError):
        best = {}
    if best.get("cpu") == cpu:
        for t, g in best.get("gflops", {}).items():
            if g > peak.get(int(t), 0.0):
                peak[int(t)] = g
                result["from_earlier_runs"] = True
    try:
        with open(cache, "w") as f:
            json.dump({"cpu": cpu, "gflops": {str(t): g for t, g in peak.items()}}, f)
    except OSError:
        pass
    return result


def machine_key():
    out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    m = re.search(r"^Model name:\s*(.+)$", out, re.M)
    return f"{m.group(1).strip() if m else '?'} x{os.cpu_count()}"


def make_area_images(build_root):
    """RGBA PNGs of the example digit at each size (smooth colour gradients, opaque alpha)."""
    from PIL import Image
    d = os.path.join(build_root, "images")
    os.makedirs(d, exist_ok=True)
    paths = []
    with Image.open(os.path.join(ROOT, "examples/images/digit-2.png")) as base:
        base = base.convert("L")
        for w, h in AREA_SIZES:
            p = os.path.join(d, f"area-{w}x{h}.png")
            if not os.path.exists(p):
                g = base.resize((w, h), Image.BICUBIC)
                grad_x = Image.linear_gradient("L").resize((w, h)).point(lambda v: v // 4)
                grad_y = grad_x.transpose(Image.Transpose.ROTATE_90).resize((w, h))
                alpha = Image.new("L", (w, h), 255)
                Image.merge("RGBA", (g, Image.blend(g, grad_x, 0.2), Image.blend(g, grad_y, 0.2), alpha)).save(p)
            paths.append(os.path.relpath(p, ROOT))
    return paths


def hyperfine(commands, runs, warmup):
    """{name: median seconds} for each (name, argv), hyperfine if installed, else timed subprocesses."""
    out = {}
    if shutil.which("hyperfine"):
        with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
            cmd = ["hyperfine", "-N", "--style", "basic", "--warmup", str(warmup), "--runs", str(runs),
                   "--export-json", tmp.name]
            for name, argv in commands:
                cmd += ["-n", name, " ".join(argv)]
            r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
            if r.returncode == 0:
                for res in json.load(open(tmp.name))["results"]:
                    out[res["command"]] = {"median_s": res["median"], "mean_s": res["mean"],
                                           "stddev_s": res["stddev"], "min_s": res["min"],
                                           "runs": len(res["times"]), "tool": "hyperfine"}
                return out
            print(r.stderr, file=sys.stderr)
    for name, argv in commands:
        for _ in range(warmup):
            subprocess.run(argv, cwd=ROOT, capture_output=True)
        t = []
        for _ in range(runs):
            a = time.perf_counter()
            subprocess.run(argv, cwd=ROOT, capture_output=True, check=True)
            t.append(time.perf_counter() - a)
        out[name] = {"median_s": statistics.median(t), "mean_s": statistics.mean(t),
                     "stddev_s": statistics.pstdev(t), "min_s": min(t), "runs": runs, "tool": "subprocess"}
    return out


def peak_rss_of(argv):
    """Peak resident set of a process (KiB), from GNU time's %M.

    Not from os.wait4 here: a child forked from this Python process (torch imported, ~260 MiB)
    carries this process's high-water mark across exec into its ru_maxrss. GNU time is small, and
    reports the rusage of a child it forked itself."""
    if not os.access("/usr/bin/time", os.X_OK):
        return None
    r = subprocess.run(["/usr/bin/time", "-f", "MAXRSS_KIB %M", *argv], cwd=ROOT, capture_output=True, text=True)
    m = re.findall(r"MAXRSS_KIB (\d+)", r.stderr)
    return int(m[-1]) if m else None


# --------------------------------------------------------------------------- tables

def fmt_time(s):
    if s is None:
        return "—"
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.3f} s"


def fmt_med(r):
    """A result's median, with half the range of its round medians when there were several rounds."""
    if not r:
        return "—"
    meds = r.get("round_medians_s", [])
    if len(meds) < 2:
        return fmt_time(r["median_s"])
    return f"{fmt_time(r['median_s'])} ±{50 * (meds[-1] - meds[0]) / r['median_s']:.0f}%"


def fmt_rate(v):
    return "—" if v is None else f"{v:,.0f}"


def fmt_x(v):
    return "—" if v is None else f"{v:.2f}×"


def fmt_pct(v):
    return "—" if v is None else f"{100 * v:.1f}%"


class Table:
    def __init__(self, title, header, note=""):
        self.title, self.header, self.rows, self.note = title, header, [], note

    def add(self, *cells):
        self.rows.append([str(c) for c in cells])

    def text(self):
        widths = [max(len(r[i]) for r in [self.header] + self.rows) for i in range(len(self.header))]
        line = lambda r: "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))  # noqa: E731
        out = [self.title, line(self.header), "  ".join("-" * w for w in widths)] + [line(r) for r in self.rows]
        if self.note:
            out.append(self.note)
        return "\n".join(out)

    def markdown(self):
        out = [f"#### {self.title}", "", "| " + " | ".join(self.header) + " |",
               "|" + "|".join("---" if i == 0 else "---:" for i in range(len(self.header))) + "|"]
        out += ["| " + " | ".join(r) + " |" for r in self.rows]
        if self.note:
            out += ["", self.note]
        return "\n".join(out)


IMPL_NAMES = {
    "python_reference": "Python reference (PIL + torchvision + torch.jit)",
    "python_jit": "Python torch.jit.load",
    "python_frozen": "Python frozen + optimize_for_inference",
    "plain_libtorch": "plain libtorch C++",
    "plain_libtorch_frozen": "plain libtorch C++, frozen + optimize_for_inference",
    "onnxruntime": "ONNX Runtime",
    "digitinfer": "DigitInfer",
    "digitinfer_native": "DigitInfer, native engine",
    "digitinfer_libtorch": "DigitInfer, libtorch engine (frozen)",
    "digitinfer_reference": "DigitInfer, libtorch engine (as loaded)",
}
FORWARD_IMPLS = ["python_jit", "python_frozen", "plain_libtorch", "plain_libtorch_frozen", "onnxruntime", "digitinfer",
                 "digitinfer_native", "digitinfer_libtorch", "digitinfer_reference"]
SHORT = {"python_jit": "Py jit", "python_frozen": "Py frozen", "plain_libtorch": "libtorch",
         "plain_libtorch_frozen": "libtorch frozen", "onnxruntime": "ORT", "digitinfer": "DigitInfer",
         "digitinfer_native": "DI native", "digitinfer_libtorch": "DI libtorch", "digitinfer_reference": "DI as loaded"}


def build_tables(R):
    tables = []
    rows = R["results"]
    pick = lambda **kw: [r for r in rows if all(r.get(k) == v for k, v in kw.items())]  # noqa: E731
    one = lambda **kw: (pick(**kw) or [None])[0]  # noqa: E731
    macs = R.get("macs_per_image")
    peak = {int(k): v for k, v in (R.get("fma_peak") or {}).get("gflops", {}).items()}
    share = lambda ips, t: (ips * macs * 2 / (peak[t] * 1e9)) if (ips and macs and peak.get(t)) else None  # noqa: E731
    targets = []

    # End to end
    e2e = [r for r in pick(kind="e2e", impl="digitinfer") if r["image"] in E2E_IMAGES]
    if e2e:
        t = Table("End to end, encoded PNG bytes in memory -> digit, 1 thread (median per image; ± half the range "
                  "over rounds)",
                  ["image", "Python reference", "DigitInfer", "speed-up", "Py preprocess", "DI preprocess",
                   "DI share not preprocessing"])
        for d in e2e:
            py = one(kind="e2e", impl="python_reference", image=d["image"])
            pp = one(kind="preprocess", impl="python_reference", image=d["image"])
            dp = one(kind="preprocess", impl="digitinfer", image=d["image"])
            ratio = py["median_s"] / d["median_s"] if py else None
            fwd_share = 1 - dp["median_s"] / d["median_s"] if dp else None
            t.add(d["image"], fmt_med(py), fmt_med(d), fmt_x(ratio),
                  fmt_time(pp and pp["median_s"]), fmt_time(dp and dp["median_s"]), fmt_pct(fwd_share))
            targets.append((f"end to end {os.path.basename(d['image'])}, speed-up over Python",
                            f"≥{TARGET_E2E[d['image']]:.0f}× (product goal {PRODUCT_E2E:.0f}×)", fmt_x(ratio),
                            verdict(ratio is not None and ratio >= TARGET_E2E[d["image"]],
                                    ratio is not None and ratio >= PRODUCT_E2E)))
        tables.append(t)

    # Forward at batch 1
    threads = sorted({r["threads"] for r in pick(kind="forward")})
    if threads:
        t = Table("Forward only, batch 1: latency per call (median; ± half the range over rounds)",
                  ["implementation"] + [f"{n} thread{'s' if n > 1 else ''}" for n in threads])
        for impl in FORWARD_IMPLS:
            cells = [fmt_med(one(kind="forward", impl=impl, threads=n, batch=1)) for n in threads]
            if any(c != "—" for c in cells):
                t.add(IMPL_NAMES[impl], *cells)
        tables.append(t)
        for n in threads:
            d = one(kind="forward", impl="digitinfer", threads=n, batch=1)
            o = one(kind="forward", impl="onnxruntime", threads=n, batch=1)
            if d:
                us = d["median_s"] * 1e6
                ok = us <= TARGET_FORWARD_B1_US and (o is None or d["median_s"] < o["median_s"])
                targets.append((f"forward batch 1, {n} thread(s)",
                                f"≤{TARGET_FORWARD_B1_US:.0f} µs and faster than ONNX Runtime",
                                f"{us:.1f} µs (ORT {fmt_time(o and o['median_s'])})", verdict(ok)))

    # Forward against batch size: images/s per implementation
    for n in threads:
        batches = sorted({r["batch"] for r in pick(kind="forward", threads=n)})
        impls = [i for i in FORWARD_IMPLS if pick(kind="forward", impl=i, threads=n)]
        t = Table(f"Forward only, {n} thread{'s' if n > 1 else ''}: images/s against batch size (median call)",
                  ["batch"] + [SHORT[i] for i in impls] + ["DI time/batch", "DI % of FMA peak"])
        for b in batches:
            cells = []
            for i in impls:
                r = one(kind="forward", impl=i, threads=n, batch=b)
                cells.append(fmt_rate(b / r["median_s"]) if r else "—")
            d = one(kind="forward", impl="digitinfer", threads=n, batch=b)
            t.add(b, *cells, fmt_time(d and d["median_s"]), fmt_pct(share(d and b / d["median_s"], n)))
        tables.append(t)

    # Best batched throughput
    if threads:
        t = Table("Best batched throughput (best batch size per implementation)",
                  ["implementation"] + sum(([f"{n}T images/s", f"{n}T batch", f"{n}T % peak"] for n in threads), []))
        best = {}
        for impl in FORWARD_IMPLS:
            cells = []
            for n in threads:
                rs = pick(kind="forward", impl=impl, threads=n)
                if not rs:
                    cells += ["—"] * 3
                    continue
                r = max(rs, key=lambda r: r["batch"] / r["median_s"])
                ips = r["batch"] / r["median_s"]
                best[(impl, n)] = (ips, r["batch"])
                cells += [fmt_rate(ips), str(r["batch"]), fmt_pct(share(ips, n))]
            if any(c != "—" for c in cells):
                t.add(IMPL_NAMES[impl], *cells)
        if macs:
            t.note = (f"% peak = images/s x {macs:,} multiply-adds x 2 FLOP / fma_peak GFLOP/s at the same thread count"
                      + ("" if peak else " (fma_peak absent: no % figures)"))
        tables.append(t)
        for n in threads:
            if ("digitinfer", n) not in best:
                continue
            ips, at_batch = best[("digitinfer", n)]
            s = share(ips, n)
            others = {i: best[(i, n)][0] for i in ("onnxruntime", "python_frozen", "python_jit") if (i, n) in best}
            py_best = max([v for k, v in others.items() if k.startswith("python")] or [0])
            ort_best = others.get("onnxruntime", 0)
            targets.append((f"batched throughput, {n} thread(s), share of FMA peak",
                            f"≥{TARGET_PEAK_SHARE:.0%} (SPEC: ≥{SPEC_PEAK_SHARE:.0%})",
                            f"{fmt_pct(s)} ({ips:,.0f} images/s at batch {at_batch})" if s is not None
                            else "fma_peak absent",
                            verdict(s is not None and s >= TARGET_PEAK_SHARE) if s is not None else "n/a"))
            targets.append((f"batched throughput, {n} thread(s), against ONNX Runtime and best Python",
                            "ahead of both", f"{fmt_x(ips / ort_best if ort_best else None)} ORT, "
                            f"{fmt_x(ips / py_best if py_best else None)} best Python",
                            verdict(ips > ort_best and ips > py_best)))

    # Area
    area = [r for r in pick(kind="e2e", impl="digitinfer") if r["image"].startswith(os.path.join("build-bench", "images")) or "/area-" in r["image"]]
    if area:
        t = Table("End to end against image area (generated RGBA PNGs, 1 thread, median)",
                  ["size", "pixels", "PNG bytes", "Python reference", "DigitInfer", "speed-up", "DI preprocess",
                   "DI ns/pixel (preprocess)"])
        for d in area:
            m = re.search(r"area-(\d+)x(\d+)", d["image"])
            w, h = int(m.group(1)), int(m.group(2))
            py = one(kind="e2e", impl="python_reference", image=d["image"])
            dp = one(kind="preprocess", impl="digitinfer", image=d["image"])
            size = os.path.getsize(os.path.join(ROOT, d["image"]))
            t.add(f"{w}×{h}", f"{w * h:,}", f"{size:,}", fmt_time(py and py["median_s"]), fmt_time(d["median_s"]),
                  fmt_x(py["median_s"] / d["median_s"] if py else None), fmt_time(dp and dp["median_s"]),
                  f"{dp['median_s'] * 1e9 / (w * h):.2f}" if dp else "—")
        tables.append(t)

    # Cold start and memory
    cold = R.get("cold") or {}
    mem = R.get("memory") or {}
    if cold or mem:
        t = Table("Cold start (process start -> first digit) and resident memory after load + one prediction",
                  ["process", "cold start (median)", "runs", "peak RSS (VmHWM)", "RSS at end"])
        for name in sorted(set(cold) | set(mem), key=lambda k: list(COLD_ORDER).index(k) if k in COLD_ORDER else 99):
            c, m = cold.get(name, {}), mem.get(name, {})
            t.add(name, fmt_time(c.get("median_s")), c.get("runs", "—"),
                  f"{m['VmHWM_kib'] / 1024:.1f} MiB" if "VmHWM_kib" in m else "—",
                  f"{m['VmRSS_kib'] / 1024:.1f} MiB" if "VmRSS_kib" in m else "—")
        tables.append(t)
        cli = cold.get(COLD_ORDER[0])
        if cli:
            targets.append(("cold start, `digitinfer predict` one PNG (default model)", f"≤{TARGET_COLD_S} s",
                            fmt_time(cli["median_s"]), verdict(cli["median_s"] <= TARGET_COLD_S)))
        di, py = mem.get(COLD_ORDER[3]), mem.get(COLD_ORDER[2])
        if di and py:
            targets.append(("resident memory after load + one prediction (peak)", "below the Python reference's",
                            f"{di['VmHWM_kib'] / 1024:.0f} MiB vs {py['VmHWM_kib'] / 1024:.0f} MiB",
                            verdict(di["VmHWM_kib"] < py["VmHWM_kib"])))

    # Peak and arithmetic
    if macs or R.get("fma_peak") is not None:
        t = Table("Arithmetic and machine peak", ["item", "value"])
        if macs:
            for name, i, o, m in R["layers"]:
                t.add(f"{name} {i} -> {o}", f"{m:,} multiply-adds")
            t.add("total per image", f"{macs:,} multiply-adds = {2 * macs / 1e6:.3f} MFLOP")
        fp = R.get("fma_peak")
        if fp is None:
            t.add("fma_peak", "absent (bench/fma_peak not built): no % of peak figures")
        else:
            this = {int(k): v for k, v in fp.get("this_run", {}).items()}
            for n, g in sorted(peak.items()):
                if n in this and this[n] < g:
                    t.add(f"fma_peak, {n} thread{'s' if n > 1 else ''}, this run", f"{this[n]:.1f} GFLOP/s "
                          "(below an earlier run's: cores shared with other work)")
                t.add(f"fma_peak, {n} thread{'s' if n > 1 else ''}", f"{g:.1f} GFLOP/s = {g * 1e9 / (2 * macs):,.0f} images/s at 100%" if macs else f"{g:.1f} GFLOP/s")
        tables.append(t)

    if targets:
        t = Table("Targets (issue text; SPEC section 5)", ["figure", "target", "measured", "verdict"])
        for row in targets:
            t.add(*row)
        tables.insert(0, t)
    chk = R.get("agreement")
    if chk:
        t = Table("Same function everywhere: max |log-probability difference| from Python torch.jit.load "
                  "on the shared test batch", ["implementation", "max |diff|"])
        for k, v in chk.items():
            t.add(IMPL_NAMES.get(k, k), f"{v:.2g}")
        tables.append(t)
    return tables


def verdict(ok, goal=None):
    """`goal`: None when the figure has no separate product goal, else whether it meets it too."""
    if goal:
        return "meets (and the product goal)"
    if goal is None:
        return "meets" if ok else "short"
    return "meets; short of the product goal" if ok else "short"


COLD_ORDER = ("digitinfer predict, default .dimodel",
              "digitinfer predict --model convnet.scripted.pt",
              "Python reference (tools/reference.py)",
              "DigitInfer C API (digitinfer_bench once, .dimodel)",
              "plain libtorch C++ (load + 1 forward, no decode)",
              "ONNX Runtime, Python (load + 1 forward, no decode)")


# --------------------------------------------------------------------------- main

def render(R, markdown_path=None):
    """Prints the tables (and writes them as Markdown) from a result dict, fresh or loaded."""
    m = R["machine"]
    tables = build_tables(R)
    meth = R.get("method", {})
    noisy = [r for r in R["results"] if r.get("spread", 0) > 0.2]
    ort = (R.get("onnxruntime") or {}).get("version")
    header = [f"DigitInfer side by side — {m['date']}",
              f"machine: {m.get('Model name')} (family {m.get('CPU family')} model {m.get('Model')}), "
              f"{m['cores']} cores, {m['memory_gib']} GiB, {m.get('Hypervisor vendor', 'bare metal')} guest",
              f"software: torch {m['torch']}, torchvision {m['torchvision']}, Pillow {m['pillow']}, "
              f"Python {m['python']}" + (f", onnxruntime {ort}" if ort else ""),
              f"repo: {m['git_head']}{' + uncommitted changes' if m['git_dirty'] else ''}; models: Python, libtorch "
              f"and ONNX export {R['model']}, DigitInfer {R.get('di_model', R['model'])} "
              f"(engine {R.get('digitinfer_engine', '?')})" + (f"; CLI {R['cli']}" if R.get("cli") else ""),
              f"command: {R['command']}",
              f"method: median per call; {meth.get('rounds')} interleaved round(s) of >= {meth.get('min_time_s')} s "
              f"per configuration, median over rounds; OPENBLAS_NUM_THREADS "
              f"{'= the thread count' if meth.get('openblas_threads_pinned') else 'unset'}; each process started "
              f"once other processes used < {meth.get('quiet_threshold_cores')} cores (waited "
              f"{meth.get('waited_for_quiet_s')} s in all), disturbed processes rerun up to {meth.get('retries', 0)} "
              f"times ({meth.get('reruns', 0)} reruns); {len(noisy)} of {len(R['results'])} figures vary "
              f"by more than 20% between rounds",
              f"uptime at start: {m['uptime']}",
              f"uptime at end: {m.get('uptime_end', '?')}",
              "other processes' CPU per section (cores, + niced): " + "; ".join(
                  f"{k} {v['other_cpu_cores']}+{v.get('niced_cpu_cores', 0)} ({v['wall_s']:.0f} s)"
                  for k, v in R["sections"].items())]
    header += [f"note: {n}" for n in R.get("notes", [])]
    print("\n".join(header) + "\n")
    for t in tables:
        print(t.text() + "\n")
    if markdown_path:
        with open(markdown_path, "w") as f:
            f.write("\n".join("- " + h if i else "### " + h for i, h in enumerate(header)) + "\n\n")
            f.write("\n\n".join(t.markdown() for t in tables) + "\n")
        print(f"markdown: {markdown_path}", file=sys.stderr)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        return worker_main(sys.argv[2:])
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--markdown", help="also write the tables as Markdown to this file")
    p.add_argument("--json", default=None, help="raw results (default: BUILD_DIR/compare.json)")
    p.add_argument("--model", default="models/convnet.scripted.pt",
                   help="TorchScript model for Python, plain libtorch and the MAC count, relative to the repo")
    p.add_argument("--di-model", default="models/convnet.dimodel",
                   help="model DigitInfer loads (its default: the compiled .dimodel; the .pt also works)")
    p.add_argument("--extra-engines", default="",
                   help="also measure DigitInfer forced onto these engines on --model (e.g. libtorch,reference)")
    p.add_argument("--cli", default="auto",
                   help="digitinfer CLI for the cold start (auto: the one built with the measured library, "
                        "else build/examples/cli/digitinfer)")
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build-bench"))
    p.add_argument("--source", choices=("worktree", "HEAD"), default="worktree",
                   help="DigitInfer sources for digitinfer_bench: the work tree, or the last commit")
    p.add_argument("--no-build", action="store_true", help="use the binaries already in --build-dir")
    p.add_argument("--ort-python", help="python with onnxruntime + numpy (default: first python3 on PATH that has them)")
    p.add_argument("--only", default=",".join(SECTIONS), help="sections to run: " + ",".join(SECTIONS))
    p.add_argument("--threads", default="1,2")
    p.add_argument("--batches", default=None, help="forward batch sizes (default 1,2,4,...,1024)")
    p.add_argument("--min-time", type=float, default=0.5,
                   help="timed seconds per configuration and round (at least 10 calls, 5 from batch 256)")
    p.add_argument("--cold-runs", type=int, default=20)
    p.add_argument("--rounds", type=int, default=None,
                   help="rounds over every configuration; tables show the median (default 3, 1 with --quick)")
    p.add_argument("--quiet-threshold", type=float, default=0.15,
                   help="before each measuring process, wait until other processes use less than this many cores")
    p.add_argument("--quiet-wait", type=float, default=120, help="longest wait for quiet, seconds (0: never wait)")
    p.add_argument("--retries", type=int, default=2,
                   help="reruns of a measuring process that other processes disturbed (> 2x the quiet threshold)")
    p.add_argument("--no-pin-blas", action="store_true",
                   help="leave OPENBLAS_NUM_THREADS unset (OpenBLAS then uses every core whatever --threads says)")
    p.add_argument("--quick", action="store_true", help="fewer batch sizes, 0.2 s per configuration, 1 round, 8 cold runs")
    p.add_argument("--from-json", help="print (and --markdown) the tables of an earlier run's JSON; measure nothing")
    a = p.parse_args()
    if a.from_json:
        with open(a.from_json) as f:
            render(json.load(f), a.markdown)
        return 0
    if a.quick:
        a.min_time, a.cold_runs = min(a.min_time, 0.2), min(a.cold_runs, 8)
    if a.rounds is None:
        a.rounds = 1 if a.quick else 3
    batches = [int(b) for b in a.batches.split(",")] if a.batches else (QUICK_BATCHES if a.quick else FULL_BATCHES)
    threads = [int(t) for t in a.threads.split(",")]
    only = set(a.only.split(","))
    os.chdir(ROOT)
    a.build_dir = os.path.abspath(a.build_dir)
    model = a.model
    di_model = a.di_model if os.path.exists(a.di_model) else model
    extra_engines = [e for e in a.extra_engines.split(",") if e]
    notes = []

    R = {"machine": machine(), "command": " ".join([sys.executable, "tools/compare.py"] + sys.argv[1:]),
         "model": model, "di_model": di_model, "results": [], "sections": {}, "notes": notes}
    print(f"== machine: {R['machine'].get('Model name')} ({R['machine']['cores']} cores), {R['machine']['uptime']}",
          file=sys.stderr)
    if os.getloadavg()[0] > 0.5:
        print("   warning: the machine is busy before we start (load average above 0.5)", file=sys.stderr)

    with Section("build", R["sections"]):
        bins = build_binaries(a, notes)
    R["binaries"] = {k: v and os.path.relpath(v, ROOT) for k, v in bins.items()}
    ort_py, ort_version = find_ort_python(a.ort_python)
    onnx_path = os.path.join(a.build_dir, "convnet.onnx")
    if ort_py:
        subprocess.run([sys.executable, os.path.join(TOOLS, "export_onnx.py"), "-o", onnx_path], check=True,
                       capture_output=True)
        R["onnxruntime"] = {"python": ort_py, "version": ort_version}
    else:
        notes.append("ONNX Runtime not measured: no python3 with onnxruntime + numpy on PATH "
                     "(python3 -m pip install onnxruntime numpy)")
    macs, layers = mac_count(model)
    R["macs_per_image"], R["layers"] = macs, layers

    run_ = Runner(a.quiet_threshold, a.quiet_wait, not a.no_pin_blas, a.retries)
    R["method"] = {"rounds": a.rounds, "min_time_s": a.min_time, "quiet_threshold_cores": a.quiet_threshold,
                   "quiet_wait_s": a.quiet_wait, "openblas_threads_pinned": not a.no_pin_blas,
                   "retries": a.retries, "batches": batches, "threads": threads}

    # Agreement: every implementation computes the same function on the shared test batch.
    checks = {}
    checks["python_jit"] = run_(me("check", "--model", model), tag=False)[0]
    checks["python_frozen"] = run_(me("check", "--model", model, "--frozen"), tag=False)[0]
    checks["plain_libtorch"] = run_([bins["plain_libtorch"], "check", model], tag=False)[0]
    checks["plain_libtorch_frozen"] = run_([bins["plain_libtorch"], "check", model, "--freeze"], tag=False)[0]
    checks["digitinfer"] = run_([bins["digitinfer_bench"], "check", di_model, *E2E_IMAGES], tag=False)[0]
    R["digitinfer_engine"] = checks["digitinfer"].get("engine")
    for e in extra_engines:
        checks["digitinfer_" + e] = run_([bins["digitinfer_bench"], "check", model, "--engine", e], tag=False)[0]
    if ort_py:
        checks["onnxruntime"] = run_([ort_py, os.path.join(SBS, "ort_bench.py"), "check", onnx_path], tag=False)[0]
    ref = checks["python_jit"]["log_probabilities"]
    R["agreement"] = {k: max(abs(x - y) for x, y in zip(v["log_probabilities"], ref)) for k, v in checks.items()
                      if k != "python_jit"}
    R["digits"] = checks["digitinfer"].get("digits")

    if "peak" in only:
        with Section("peak", R["sections"]):
            run_.wait_quiet()
            R["fma_peak"] = run_fma_peak(bins["fma_peak"], run_)
            if R["fma_peak"] is None:
                notes.append("fma_peak absent: build bench/ (DIGITINFER_BUILD_BENCHMARKS=ON) for % of peak figures")

    # Each round runs every configuration once, implementations interleaved; tables show the
    # median over rounds, so that a burst of someone else's compile hits one round, not a figure.
    mt = str(a.min_time)
    jobs = {"e2e": [], "forward": [], "area": []}
    jobs["e2e"] = [(me("e2e", "--model", model, "--min-time", mt, *E2E_IMAGES), 1),
                   ([bins["digitinfer_bench"], "e2e", di_model, *E2E_IMAGES, "--threads", "1", "--min-time", mt], 1)]
    bl = ",".join(map(str, batches))
    for n in threads:
        common = ["--threads", str(n), "--batches", bl, "--min-time", mt]
        jobs["forward"] += [(me("forward", "--model", model, *common), n),
                            (me("forward", "--model", model, "--frozen", *common), n),
                            ([bins["plain_libtorch"], "forward", model, *common], n),
                            ([bins["plain_libtorch"], "forward", model, "--freeze", *common], n)]
        if ort_py:
            jobs["forward"].append(([ort_py, os.path.join(SBS, "ort_bench.py"), "forward", onnx_path, *common], n))
        jobs["forward"].append(([bins["digitinfer_bench"], "forward", di_model, *common], n))
        for e in extra_engines:
            jobs["forward"].append(([bins["digitinfer_bench"], "forward", model, "--engine", e, *common], n))
    if "area" in only:
        imgs = make_area_images(a.build_dir)
        amt = str(max(0.3, a.min_time / 2))
        jobs["area"] = [(me("e2e", "--model", model, "--min-time", amt, *imgs), 1),
                        ([bins["digitinfer_bench"], "e2e", di_model, *imgs, "--threads", "1", "--min-time", amt], 1)]
    raw = []
    for section in ("e2e", "forward", "area"):
        if section not in only:
            continue
        with Section(section, R["sections"]):
            for rnd in range(a.rounds):
                run_.round = rnd
                for cmd, n in (jobs[section] if rnd % 2 == 0 else list(reversed(jobs[section]))):
                    raw += run_(cmd, n)
    R["raw_results"] = raw
    R["results"] = aggregate(raw)

    if "cold" in only:
        with Section("cold", R["sections"]):
            if a.cli == "auto":
                cli = bins.get("digitinfer_cli") or os.path.join(ROOT, "build", "examples", "cli", "digitinfer")
            else:
                cli = a.cli if os.path.isabs(a.cli) else os.path.join(ROOT, a.cli)
            rel = lambda p: os.path.relpath(p, ROOT)  # noqa: E731
            procs = []
            if os.access(cli, os.X_OK):
                R["cli"] = rel(cli)
                procs.append((COLD_ORDER[0], [rel(cli), "predict", "--model", di_model, COLD_IMAGE]))
                procs.append((COLD_ORDER[1], [rel(cli), "predict", "--model", model, COLD_IMAGE]))
            else:
                notes.append(f"{cli} not found: no CLI cold start")
            procs.append((COLD_ORDER[2], ["/usr/bin/python3", "tools/reference.py", "--model", model, COLD_IMAGE]))
            procs.append((COLD_ORDER[3], [rel(bins["digitinfer_bench"]), "once", di_model, COLD_IMAGE]))
            procs.append((COLD_ORDER[4], [rel(bins["plain_libtorch"]), "once", model]))
            if ort_py:
                procs.append((COLD_ORDER[5], [ort_py, rel(os.path.join(SBS, "ort_bench.py")), "once", rel(onnx_path)]))
            R["cold_commands"] = {name: " ".join(argv) for name, argv in procs}
            run_.wait_quiet()
            R["cold"] = hyperfine(procs, a.cold_runs, 3)
            mem = {}
            for name, argv in procs:
                kib = peak_rss_of(argv)
                if kib:
                    mem[name] = {"VmHWM_kib": kib, "source": "GNU time %M (ru_maxrss) of the process"}
                else:
                    mem[name] = {}
                    notes.append("/usr/bin/time missing (apt-get install time): peak RSS only where self-reported")
            # Processes that report their own /proc/self/status after load + one prediction:
            for name, argv in [(COLD_ORDER[2], me("once", "--model", model, COLD_IMAGE)),
                               (COLD_ORDER[3], [bins["digitinfer_bench"], "once", di_model, COLD_IMAGE]),
                               (COLD_ORDER[4], [bins["plain_libtorch"], "once", model])] + (
                    [(COLD_ORDER[5], [ort_py, os.path.join(SBS, "ort_bench.py"), "once", onnx_path])] if ort_py else []):
                r = run_(argv, tag=False)[0]
                mem.setdefault(name, {}).update({"VmHWM_kib": r["VmHWM_kib"], "VmRSS_kib": r["VmRSS_kib"],
                                  "source": "/proc/self/status after load + one prediction"})
            R["memory"] = mem

    R["machine"]["uptime_end"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    R["method"]["waited_for_quiet_s"] = round(run_.waited, 1)
    R["method"]["reruns"] = run_.reruns
    jpath = a.json or os.path.join(a.build_dir, "compare.json")
    with open(jpath, "w") as f:
        json.dump(R, f, indent=1)
    print(f"raw results: {os.path.relpath(jpath, ROOT)}", file=sys.stderr)
    render(R, a.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
