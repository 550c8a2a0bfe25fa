#!/usr/bin/python3
"""The server benchmark of issue 9: digitinfer-server against its peers, one machine, one run.

    bench/server/run.sh [--servers flask,gunicorn,torchserve,digitinfer] [--rounds 2] [--duration 10]
                        [--warmup 3] [--connections 1,8,64] [--endpoints test,png28,png251] [--out DIR]

(run.sh is `exec /usr/bin/python3 bench/server/bench.py "$@"`.) For each round, each server is started
in turn (the order rotates between rounds, so no server always runs first or last), checked, warmed
up, measured with wrk at each connection count on each endpoint, and stopped:

  flask       tools/flask_server.py, Flask's development server, threaded
  gunicorn    the same app under gunicorn, --gunicorn-workers (2) sync workers
  torchserve  TorchServe 0.12 from tools/torchserve/setup.sh (tools/torchserve/serve.sh), convnet.mar
  digitinfer  $DIGITINFER_SERVER (default build/examples/server/digitinfer-server) with its defaults,
              ports 0; extra flags from $DIGITINFER_SERVER_ARGS
  httplib     $HTTPLIB_SERVER (default build-http-layers/httplib_server): bench/http_layers

Endpoints (bodies from bench/server/make_bodies.py; every response is checked against the reference digit):

  test        POST /test, multipart: the Python reference's normalized tensor of examples/images/digit-2.png
  png28       POST /predictions/convnet, examples/images/digit-2.png (28x28 L PNG, 383 bytes)
  png251      POST /predictions/convnet, examples/images/digit-7.png (251x248 RGBA PNG, 9317 bytes)

Measured per wrk run (wrk --latency with bench/server/post_file.lua; -t1 at 1 connection, else -t2; a run
disturbed by other work on the machine, --noisy, is run once more and the less disturbed one kept):
requests/s, p50/p90/p99 latency, errors (socket errors + non-2xx + 2xx with a wrong digit), server CPU
time per request (utime+stime, with reaped children's, of the server's whole process tree, from /proc,
before/after), the machine's other CPU use during the run (busy - server - wrk, in cores: a noise flag),
and the process tree's resident memory. Per server start: cold start = process launch to the FIRST
SUCCESSFUL PREDICTION (POST /predictions/convnet digit-2.png answered "2", polled every 5 ms; not /ping),
and peak memory: sum of VmHWM over the tree (each process's peak; overcounts pages forked processes
share), and the peak of the sum of PSS sampled once a second (shares them out).

A server that is not installed is skipped with a message; nothing is ever estimated. Output in --out
(default bench/server/out/YYYYmmdd-HHMMSS): runs.csv, starts.csv, results.md, logs/.
"""
import argparse
import csv
import datetime
import http.client
import json
import os
import re
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PY = "/usr/bin/python3"
CLK = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1

ENDPOINTS = {
    # name: (path, body file, content type or None (= multipart from test.boundary), expected answer, label)
    "test": ("/test", "test.multipart", None, "2", "POST /test (multipart tensor)"),
    "png28": ("/predictions/convnet", "digit-2.png", "application/octet-stream", "2",
              "POST /predictions/convnet, 28×28 L PNG"),
    "png251": ("/predictions/convnet", "digit-7.png", "application/octet-stream", "7",
               "POST /predictions/convnet, 251×248 RGBA PNG"),
}

SERVER_LABELS = {
    "flask": "Flask dev server (threaded)",
    "gunicorn": "gunicorn -w {w} (Flask app)",
    "torchserve": "TorchServe 0.12.0",
    "digitinfer": "digitinfer-server",
    "httplib": "cpp-httplib (bench/http_layers)",
}


class Stop(Exception):
    pass


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------------------------------- /proc

def _stat(pid):
    """(ppid, utime+stime+cutime+cstime in ticks) of pid, or None if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode(errors="replace")
    except OSError:
        return None
    rest = data[data.rindex(")") + 2:].split()
    # rest[0] is field 3 (state): ppid = field 4, utime..cstime = fields 14..17
    return int(rest[1]), int(rest[11]) + int(rest[12]) + int(rest[13]) + int(rest[14])


def tree(roots):
    """All live pids descending from (and including) roots."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = _stat(int(d))
            if st:
                parent[int(d)] = st[0]
    out = set()
    for pid in parent:
        p, seen = pid, 0
        while p and seen < 64:
            if p in roots:
                out.add(pid)
                break
            p = parent.get(p)
            seen += 1
    return out


def tree_cpu_ticks(roots):
    total = 0
    for pid in tree(roots):
        st = _stat(pid)
        if st:
            total += st[1]
    return total


def _status_kib(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_mem_kib(roots):
    pids = tree(roots)
    return {
        "rss": sum(_status_kib(p, "VmRSS") for p in pids),
        "hwm": sum(_status_kib(p, "VmHWM") for p in pids),
        "pss": sum(_pss_kib(p) for p in pids),
        "procs": len(pids),
    }


def machine_busy_ticks():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return sum(v[:8]) - idle


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


class MemSampler(threading.Thread):
    """Samples the tree's summed RSS and PSS once a second; keeps the peaks."""

    def __init__(self, roots):
        super().__init__(daemon=True)
        self.roots, self.peak_rss, self.peak_pss = roots, 0, 0
        self._halt = threading.Event()

    def run(self):
        while not self._halt.is_set():
            m = tree_mem_kib(self.roots)
            self.peak_rss, self.peak_pss = max(self.peak_rss, m["rss"]), max(self.peak_pss, m["pss"])
            self._halt.wait(1.0)

    def stop(self):
        self._halt.set()
        self.join(3)


# ------------------------------------------------------------------------------------------- HTTP

def post(port, path, body, ctype, timeout=5.0):
    """(status, body text) of one POST, or (None, error) if the connection failed."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request("POST", path, body=body, headers={"Content-Type": ctype})
        r = c.getresponse()
        text = r.read().decode(errors="replace")
        c.close()
        return r.status, text
    except (OSError, http.client.HTTPException) as e:
        return None, f"{type(e).__name__}: {e}"


def wait_first_prediction(port_fn, bodies, t0, timeout, alive):
    """Polls POST /predictions/convnet (digit-2.png) every 5 ms until it answers "2"; returns seconds since t0."""
    png = bodies["digit-2.png"]
    last = None
    while time.monotonic() - t0 < timeout:
        if not alive():
            raise RuntimeError(f"the server exited before answering (last: {last})")
        port = port_fn()
        if port:
            status, text = post(port, "/predictions/convnet", png, "application/octet-stream", timeout=2.0)
            if status == 200 and text.strip() == "2":
                return time.monotonic() - t0
            last = (status, text[:200])
        time.sleep(0.005)
    raise RuntimeError(f"no successful prediction within {timeout:.0f} s (last: {last})")


# ------------------------------------------------------------------------------------------- servers

class Server:
    """One start of one server. start() launches and returns when the first prediction succeeded."""

    name = "?"
    endpoints = ("test", "png28", "png251")

    def __init__(self, args, logdir, tag):
        self.args, self.logdir, self.tag = args, logdir, tag
        self.proc, self.port, self.roots, self.cold_s, self.extra = None, None, set(), None, {}

    def available(self):
        return True, ""

    def launch(self):  # sets self.proc / self.roots, returns nothing
        raise NotImplementedError

    def port_fn(self):
        return self.port

    def alive(self):
        return self.proc is None or self.proc.poll() is None

    def start(self, bodies):
        t0 = time.monotonic()
        self.launch()
        self.cold_s = wait_first_prediction(self.port_fn, bodies, t0, self.args.start_timeout, self.alive)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                log(f"{self.name}: still running 30 s after SIGTERM: SIGKILL")
                self.proc.kill()
                self.proc.wait(10)

    def _popen(self, cmd, env=None, stdout=None):
        out = open(self.logdir / f"{self.tag}.stdout", "wb") if stdout is None else stdout
        err = open(self.logdir / f"{self.tag}.stderr", "wb")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        self.roots = {self.proc.pid}


class Flask(Server):
    name = "flask"

    def launch(self):
        self.port = free_port()
        self._popen([PY, str(ROOT / "tools" / "flask_server.py"), "--port", str(self.port)])


class Gunicorn(Server):
    name = "gunicorn"

    def available(self):
        ok = subprocess.run([PY, "-c", "import gunicorn"], capture_output=True).returncode == 0
        return ok, "" if ok else "gunicorn is not importable by /usr/bin/python3"

    def launch(self):
        self.port = free_port()
        self._popen([PY, "-m", "gunicorn", "-w", str(self.args.gunicorn_workers), "-b", f"127.0.0.1:{self.port}",
                     "--chdir", str(ROOT), "tools.flask_server:app"])


class TorchServe(Server):
    name = "torchserve"
    endpoints = ("png28", "png251")  # TorchServe has no /test

    def __init__(self, *a):
        super().__init__(*a)
        self.dir = Path(os.environ.get("DIGITINFER_TORCHSERVE_DIR", "/tmp/digitinfer-torchserve"))
        self.serve = ROOT / "tools" / "torchserve" / "serve.sh"

    def available(self):
        if not (self.dir / "venv" / "bin" / "torchserve").exists() or not (self.dir / "model-store" / "convnet.mar").exists():
            return False, f"TorchServe is not set up in {self.dir} (run tools/torchserve/setup.sh)"
        if shutil.which("java") is None:
            return False, "java is not installed"
        return True, ""

    def launch(self):
        env = dict(os.environ, TS_NO_WAIT="1")
        r = subprocess.run([str(self.serve), "start", str(self.dir)], env=env, capture_output=True, text=True, cwd=ROOT)
        (self.logdir / f"{self.tag}.serve-start").write_text(r.stdout + r.stderr)
        if r.returncode != 0:
            raise RuntimeError(f"serve.sh start failed: {r.stdout.strip()} {r.stderr.strip()}")
        kv = dict(x.split("=", 1) for x in r.stdout.split() if "=" in x)
        self.port, self.java_pid = int(kv["inference_port"]), int(kv["java_pid"])
        self.roots = {self.java_pid}

    def alive(self):
        try:
            os.kill(self.java_pid, 0)
            return True
        except OSError:
            return False

    def stop(self):
        r = subprocess.run([str(self.serve), "stop", str(self.dir)], capture_output=True, text=True, cwd=ROOT)
        (self.logdir / f"{self.tag}.serve-stop").write_text(r.stdout + r.stderr)
        logs = self.dir / "logs"
        if logs.is_dir():
            shutil.copytree(logs, self.logdir / f"{self.tag}.logs", dirs_exist_ok=True)


class LineServer(Server):
    """A server started with port 0 that prints `...: inference listening on 127.0.0.1:PORT` (or
    `...: listening on 127.0.0.1:PORT`) and `...: ready` on stdout."""

    binary_env, default_binary, args_env = "", "", ""
    listen_re = re.compile(rb"listening on (?:https?://)?\S*?:(\d+)\s*$")

    def binary(self):
        p = Path(os.environ.get(self.binary_env) or ROOT / self.default_binary)
        return p if p.is_absolute() else ROOT / p

    def available(self):
        b = self.binary()
        if not (b.is_file() and os.access(b, os.X_OK)):
            return False, f"{b} does not exist or is not executable (set {self.binary_env})"
        return True, ""

    def command(self):
        raise NotImplementedError

    def launch(self):
        self.ready_s, self._t0 = None, time.monotonic()
        self._popen(self.command() + shlex.split(os.environ.get(self.args_env, "")), stdout=subprocess.PIPE)
        sink = open(self.logdir / f"{self.tag}.stdout", "wb")

        def drain():
            for line in self.proc.stdout:
                sink.write(line)
                sink.flush()
                if self.port is None and b"management" not in line and b"metrics" not in line:
                    m = self.listen_re.search(line)
                    if m:
                        self.port = int(m.group(1))
                if self.ready_s is None and re.search(rb": ready\b", line):
                    self.ready_s = time.monotonic() - self._t0
            sink.close()

        threading.Thread(target=drain, daemon=True).start()

    def start(self, bodies):
        super().start(bodies)
        deadline = time.monotonic() + 10
        while self.ready_s is None and time.monotonic() < deadline:  # the ready line, for the record
            time.sleep(0.01)
        self.extra["ready_s"] = self.ready_s


class DigitInfer(LineServer):
    name = "digitinfer"
    binary_env, default_binary, args_env = "DIGITINFER_SERVER", "build/examples/server/digitinfer-server", "DIGITINFER_SERVER_ARGS"

    def command(self):
        return [str(self.binary()), "--inference-address", "http://127.0.0.1:0",
                "--management-address", "http://127.0.0.1:0", "--metrics-address", "http://127.0.0.1:0"]


class Httplib(LineServer):
    name = "httplib"
    binary_env, default_binary, args_env = "HTTPLIB_SERVER", "build-http-layers/httplib_server", "HTTPLIB_SERVER_ARGS"

    def command(self):
        return [str(self.binary()), "--port", "0"]


SERVERS = {"flask": Flask, "gunicorn": Gunicorn, "torchserve": TorchServe, "digitinfer": DigitInfer, "httplib": Httplib}


# ------------------------------------------------------------------------------------------- wrk

def wait_quiet(server_roots, max_wait, threshold=0.25):
    """Waits (up to max_wait s) until the machine's CPU use outside the server is below threshold cores
    over 0.5 s; returns the last figure seen (cores)."""
    deadline = time.monotonic() + max_wait
    while True:
        b0, s0, t0 = machine_busy_ticks(), tree_cpu_ticks(server_roots), time.monotonic()
        time.sleep(0.5)
        b1, s1, t1 = machine_busy_ticks(), tree_cpu_ticks(server_roots), time.monotonic()
        other = max(0.0, ((b1 - b0) - (s1 - s0)) / CLK / (t1 - t0))
        if other < threshold or time.monotonic() >= deadline:
            return other


def run_wrk(port, endpoint, conns, duration, bodydir, boundary, roots, timeout_s=10):
    path, body, ctype, expect, _ = ENDPOINTS[endpoint]
    env = dict(os.environ, BENCH_BODY=str(bodydir / body), BENCH_EXPECT=expect,
               BENCH_CT=ctype or f"multipart/form-data; boundary={boundary}")
    threads = 1 if conns == 1 else 2
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", "--latency", f"--timeout={timeout_s}s",
           "-s", str(HERE / "post_file.lua"), f"http://127.0.0.1:{port}{path}"]
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu0, busy0, t0 = tree_cpu_ticks(roots), machine_busy_ticks(), time.monotonic()
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=duration + 60)
    cpu1, busy1, t1 = tree_cpu_ticks(roots), machine_busy_ticks(), time.monotonic()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    m = re.search(r"BENCH_JSON (\{.*\})", r.stdout)
    if r.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed ({r.returncode}): {r.stdout[-500:]} {r.stderr[-500:]}")
    j = json.loads(m.group(1))
    wrk_ticks = ((ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)) * CLK
    server_ticks = cpu1 - cpu0
    wall = t1 - t0
    socket_errors = j["connect"] + j["read"] + j["write"] + j["timeout"]
    n = j["requests"]
    return {
        "wrk_threads": threads, "requests": n, "duration_s": round(j["duration_us"] / 1e6, 3),
        "rps": round(n / (j["duration_us"] / 1e6), 1),
        "p50_ms": j["p50_us"] / 1e3, "p90_ms": j["p90_us"] / 1e3, "p99_ms": j["p99_us"] / 1e3,
        "max_ms": j["max_us"] / 1e3,
        "errors": socket_errors + j["non2xx"] + j["wrong"], "socket_errors": socket_errors,
        "non2xx": j["non2xx"], "wrong": j["wrong"],
        "cpu_us_per_req": round(server_ticks / CLK / n * 1e6, 1) if n else "",
        "server_cores": round(server_ticks / CLK / wall, 2), "wrk_cores": round(wrk_ticks / CLK / wall, 2),
        "other_cores": round(max(0.0, (busy1 - busy0) - server_ticks - wrk_ticks) / CLK / wall, 2),
        "wrk_stdout": r.stdout,
    }


# ------------------------------------------------------------------------------------------- report

RUN_FIELDS = ["round", "server", "endpoint", "connections", "attempt", "kept", "wrk_threads", "duration_s", "requests", "rps",
              "p50_ms", "p90_ms", "p99_ms", "max_ms", "errors", "socket_errors", "non2xx", "wrong",
              "cpu_us_per_req", "server_cores", "wrk_cores", "other_cores", "quiet_wait_other_cores",
              "loadavg1", "rss_mib", "pss_mib", "procs", "time"]
START_FIELDS = ["round", "server", "cold_start_s", "ready_line_s", "peak_hwm_sum_mib", "peak_pss_sum_mib",
                "peak_rss_sum_mib", "procs", "note", "time"]


def rng(values, fmt):
    values = [v for v in values if v != "" and v is not None]
    if not values:
        return "–"
    med = statistics.median(values)
    if len(values) == 1 or min(values) == max(values):
        return fmt(med)
    return f"{fmt(med)} ({fmt(min(values))}–{fmt(max(values))})"


def f_rps(v):
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def f_ms(v):
    return f"{v:.2f}" if v < 10 else f"{v:.1f}" if v < 100 else f"{v:.0f}"


def f_us(v):
    return f"{v:,.0f}"


def f_mib(v):
    return f"{v:.1f}" if v < 100 else f"{v:,.0f}"


def f_s(v):
    return f"{v:.3f}" if v < 1 else f"{v:.2f}"


def report(args, runs, starts, skipped, meta):
    labels = {k: v.format(w=args.gunicorn_workers) for k, v in SERVER_LABELS.items()}
    out = []
    out.append(f"Run {meta['start']} – {meta['end']} UTC on {meta['cpu']} ({NCPU} cores), load average at "
               f"start {meta['load_start']}, at end {meta['load_end']}; {args.rounds} round(s), wrk -d {args.duration}s "
               f"(warm-up {args.warmup}s per endpoint after each start).")
    out.append("")
    out.append(f"Versions: {meta['versions']}.")
    out.append("")
    out.append("Cells: median over rounds (min–max). Errors: sum over rounds of socket errors + non-2xx + 2xx with a "
               "wrong digit. CPU/req: server process tree utime+stime per request. other: the machine's CPU use "
               "outside the server and wrk during the run, in cores (noise; > 0.2 is marked †; a run above "
               f"{args.noisy} was run once more and the less disturbed kept, at most {args.retries} times a run).")
    out.append("")
    for s in skipped:
        out.append(f"- **skipped** {labels.get(s[0], s[0])}: {s[1]}")
    if skipped:
        out.append("")
    out.append("| server | endpoint | conns | requests/s | p50 ms | p99 ms | errors | CPU µs/req | server / wrk cores | RSS MiB (sum) | other |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    order = [s for s in args.servers if any(r["server"] == s for r in runs)]
    for s in order:
        for e in args.endpoints:
            for c in args.connections:
                rows = [r for r in runs if r["server"] == s and r["endpoint"] == e and r["connections"] == c]
                if not rows:
                    continue
                noisy = max(r["other_cores"] for r in rows) > 0.2
                out.append("| {} | {} | {} | {} | {} | {} | {} | {} | {:.2f} / {:.2f} | {} | {}{} |".format(
                    labels[s], e, c, rng([r["rps"] for r in rows], f_rps), rng([r["p50_ms"] for r in rows], f_ms),
                    rng([r["p99_ms"] for r in rows], f_ms), sum(r["errors"] for r in rows),
                    rng([r["cpu_us_per_req"] for r in rows], f_us),
                    statistics.median(r["server_cores"] for r in rows), statistics.median(r["wrk_cores"] for r in rows),
                    rng([r["rss_mib"] for r in rows], f_mib),
                    f"{max(r['other_cores'] for r in rows):.2f}", " †" if noisy else ""))
    out.append("")
    out.append("Endpoints: " + "; ".join(f"`{k}` = {ENDPOINTS[k][4]}" for k in args.endpoints) + ".")
    out.append("")
    out.append("| server | cold start to first prediction, s | peak RSS, sum of VmHWM, MiB | peak PSS (sampled), MiB | processes |")
    out.append("|---|---:|---:|---:|---:|")
    for s in order:
        rows = [r for r in starts if r["server"] == s and r["cold_start_s"] != ""]
        if rows:
            out.append("| {} | {} | {} | {} | {} |".format(
                labels[s], rng([r["cold_start_s"] for r in rows], f_s), rng([r["peak_hwm_sum_mib"] for r in rows], f_mib),
                rng([r["peak_pss_sum_mib"] for r in rows], f_mib), rng([r["procs"] for r in rows], lambda v: f"{v:g}")))
    for r in starts:
        if r["note"]:
            out.append(f"\n- {labels.get(r['server'], r['server'])}, round {r['round']}: {r['note']}")
    out.append("")

    # Targets (issue 9 / SPEC section 5), from the medians; "worst" = digitinfer's min over its best peer's max.
    def cell(s, e, c, key, agg=statistics.median):
        v = [r[key] for r in runs if r["server"] == s and r["endpoint"] == e and r["connections"] == c]
        return agg(v) if v else None

    if any(r["server"] == "digitinfer" for r in runs):
        out.append("Targets (medians; in brackets the worst case over rounds: digitinfer's slowest run against the peer's fastest):")
        out.append("")
        out.append("| figure | target | measured | verdict |")
        out.append("|---|---:|---:|---:|")
        for peer, target in (("torchserve", 20), ("flask", 40), ("gunicorn", 40)):
            for e in args.endpoints:
                di, p = cell("digitinfer", e, 8, "rps"), cell(peer, e, 8, "rps")
                if di is None or p is None:
                    continue
                worst = cell("digitinfer", e, 8, "rps", min) / cell(peer, e, 8, "rps", max)
                ratio = di / p
                out.append(f"| requests/s at 8 connections, {e}, vs {labels[peer]} | ≥ {target}× | {ratio:.1f}× "
                           f"[{worst:.1f}×] ({f_rps(di)} vs {f_rps(p)}) | {'meets' if ratio >= target else '**short**'} |")
        for e in args.endpoints:
            p99 = cell("digitinfer", e, 8, "p99_ms", max)
            if p99 is not None:
                out.append(f"| p99 at 8 connections, {e} (worst round) | < 5 ms | {f_ms(p99)} ms | "
                           f"{'meets' if p99 < 5 else '**short**'} |")
        for e in args.endpoints:
            rows = [r for r in runs if r["server"] == "digitinfer" and r["endpoint"] == e and r["connections"] == 64]
            if rows:
                n = sum(r["errors"] for r in rows)
                out.append(f"| errors at 64 connections, {e} | 0 | {n} of {sum(r['requests'] for r in rows):,} | "
                           f"{'meets' if n == 0 else '**short**'} |")

        def peak(s, key):
            v = [r[key] for r in starts if r["server"] == s and r[key] != ""]
            return max(v) if v else None

        di_m, ts_m = peak("digitinfer", "peak_hwm_sum_mib"), peak("torchserve", "peak_hwm_sum_mib")
        if di_m and ts_m:
            out.append(f"| peak RSS (sum of VmHWM), vs TorchServe | < 1/10 | {di_m:.1f} vs {ts_m:,.0f} MiB "
                       f"(1/{ts_m / di_m:.0f}) | {'meets' if di_m < ts_m / 10 else '**short**'} |")
        di_p, ts_p = peak("digitinfer", "peak_pss_sum_mib"), peak("torchserve", "peak_pss_sum_mib")
        if di_p and ts_p:
            out.append(f"| peak PSS (sampled), vs TorchServe | < 1/10 | {di_p:.1f} vs {ts_p:,.0f} MiB "
                       f"(1/{ts_p / di_p:.0f}) | {'meets' if di_p < ts_p / 10 else '**short**'} |")
        cs = {s: [r["cold_start_s"] for r in starts if r["server"] == s and r["cold_start_s"] != ""] for s in order}
        if cs.get("digitinfer"):
            others = ", ".join(f"{labels[s]} {rng(v, f_s)} s" for s, v in cs.items() if v and s != "digitinfer")
            out.append(f"| cold start to first prediction | (report) | {rng(cs['digitinfer'], f_s)} s" + (f"; {others}" if others else "") + " | – |")
        out.append("")
    return "\n".join(out)


# ------------------------------------------------------------------------------------------- main

def versions(servers):
    """One line naming the versions of what is measured (best effort: a missing piece says so)."""
    def sh(cmd):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            return (r.stdout + r.stderr).strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""
    parts = []
    py = sh([PY, "-c", "import sys, torch, torchvision, PIL, flask, werkzeug, gunicorn; print(sys.version.split()[0], "
                       "torch.__version__, torchvision.__version__, PIL.__version__, flask.__version__, "
                       "werkzeug.__version__, gunicorn.__version__)"]).split()
    if len(py) == 7:
        parts.append("Python {} (torch {}, torchvision {}, Pillow {}, Flask {}, Werkzeug {}, gunicorn {})".format(*py))
    if "torchserve" in servers:
        ts = Path(os.environ.get("DIGITINFER_TORCHSERVE_DIR", "/tmp/digitinfer-torchserve")) / "venv" / "bin" / "python"
        v = sh([str(ts), "-c", "import ts.version; print(ts.version.__version__)"]) if ts.exists() else ""
        java = sh(["java", "-version"]).split("\n")[0]
        parts.append(f"TorchServe {v or 'not installed'} on {java}")
    wrk = sh(["wrk", "--version"]).split("\n")[0]
    parts.append(wrk.split(" Copyright")[0])
    return "; ".join(p for p in parts if p)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--servers", default="flask,gunicorn,torchserve,digitinfer")
    ap.add_argument("--endpoints", default="test,png28,png251")
    ap.add_argument("--connections", default="1,8,64")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--warmup", type=int, default=5, help="seconds of wrk at 8 connections per endpoint after a start")
    ap.add_argument("--quiet-wait", type=float, default=3, help="max seconds to wait for a quiet machine before each run")
    ap.add_argument("--noisy", type=float, default=0.3,
                    help="a run during which the rest of the machine used more cores than this is run once more "
                         "(the less disturbed of the two is kept; both are in runs.csv)")
    ap.add_argument("--retries", type=int, default=12, help="most such reruns in the whole benchmark")
    ap.add_argument("--gunicorn-workers", type=int, default=2)
    ap.add_argument("--start-timeout", type=float, default=180)
    ap.add_argument("--out", help="output directory (default bench/server/out/YYYYmmdd-HHMMSS)")
    args = ap.parse_args()
    args.servers = [s for s in args.servers.split(",") if s]
    args.endpoints = [e for e in args.endpoints.split(",") if e]
    args.connections = [int(c) for c in args.connections.split(",") if c]
    for s in args.servers:
        if s not in SERVERS:
            ap.error(f"unknown server {s!r} (known: {', '.join(SERVERS)})")
    for e in args.endpoints:
        if e not in ENDPOINTS:
            ap.error(f"unknown endpoint {e!r} (known: {', '.join(ENDPOINTS)})")
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk is not installed (apt-get install wrk)")

    stamp = datetime.datetime.utcnow().strftime("%Y%m%d-%H%M%S")
    out = Path(args.out) if args.out else HERE / "out" / stamp
    logdir = out / "logs"
    bodydir = out / "bodies"
    logdir.mkdir(parents=True, exist_ok=True)
    r = subprocess.run([PY, str(HERE / "make_bodies.py"), str(bodydir)], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bench: make_bodies.py failed: {r.stderr}")
    expected = dict(line.split() for line in r.stdout.split("\n") if line.strip())
    assert expected == {"digit-2.png": "2", "test.multipart": "2", "digit-7.png": "7"}, expected
    boundary = (bodydir / "test.boundary").read_text().strip()
    bodies = {p.name: p.read_bytes() for p in bodydir.iterdir()}
    cpu = "unknown"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    meta = {"start": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), "cpu": cpu,
            "load_start": open("/proc/loadavg").read().split()[:3]}
    meta["load_start"] = " ".join(meta["load_start"])
    meta["versions"] = versions(args.servers)

    skipped, active = [], []
    for s in args.servers:
        ok, why = SERVERS[s](args, logdir, f"{s}-probe").available()
        if ok:
            active.append(s)
        else:
            log(f"skipping {s}: {why}")
            skipped.append((s, why))

    runs, starts = [], []
    retries = [args.retries]
    runs_csv = open(out / "runs.csv", "w", newline="")
    starts_csv = open(out / "starts.csv", "w", newline="")
    rw = csv.DictWriter(runs_csv, RUN_FIELDS, extrasaction="ignore")
    sw = csv.DictWriter(starts_csv, START_FIELDS, extrasaction="ignore")
    rw.writeheader()
    sw.writeheader()
    current = []

    def on_term(signum, frame):
        raise Stop(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    try:
        for rnd in range(1, args.rounds + 1):
            k = (rnd - 1) % max(1, len(active))
            order = active[k:] + active[:k]
            for s in order:
                srv = SERVERS[s](args, logdir, f"{s}-r{rnd}")
                current[:] = [srv]
                rec = {"round": rnd, "server": s, "cold_start_s": "", "ready_line_s": "", "peak_hwm_sum_mib": "",
                       "peak_pss_sum_mib": "", "peak_rss_sum_mib": "", "procs": "", "note": "",
                       "time": datetime.datetime.utcnow().strftime("%H:%M:%S")}
                sampler = None
                try:
                    log(f"round {rnd}: starting {s}")
                    srv.start(bodies)
                    sampler = MemSampler(srv.roots)
                    sampler.start()
                    rec["cold_start_s"] = round(srv.cold_s, 3)
                    rec["ready_line_s"] = round(srv.extra["ready_s"], 3) if srv.extra.get("ready_s") else ""
                    log(f"{s}: port {srv.port}, first prediction {srv.cold_s:.3f} s after launch")
                    eps = [e for e in args.endpoints if e in srv.endpoints]
                    bad = []
                    for e in eps:  # each endpoint answers the reference digit, or is not measured
                        path, body, ctype, expect, _ = ENDPOINTS[e]
                        st, text = post(srv.port, path, bodies[body], ctype or f"multipart/form-data; boundary={boundary}")
                        if st != 200 or text.strip() != expect:
                            bad.append(e)
                            rec["note"] += f"{e} answered {st} {text[:120]!r}, expected {expect}: not measured. "
                    eps = [e for e in eps if e not in bad]
                    for e in eps:
                        run_wrk(srv.port, e, 8, args.warmup, bodydir, boundary, srv.roots)
                    for e in eps:
                        for c in args.connections:
                            tries = []
                            for attempt in (1, 2):
                                other_before = wait_quiet(srv.roots, args.quiet_wait if attempt == 1 else 3 * args.quiet_wait)
                                la = loadavg()
                                res = run_wrk(srv.port, e, c, args.duration, bodydir, boundary, srv.roots)
                                mem = tree_mem_kib(srv.roots)
                                row = {"round": rnd, "server": s, "endpoint": e, "connections": c, **res,
                                       "quiet_wait_other_cores": round(other_before, 2), "loadavg1": la,
                                       "rss_mib": round(mem["rss"] / 1024, 1), "pss_mib": round(mem["pss"] / 1024, 1),
                                       "procs": mem["procs"], "attempt": attempt,
                                       "time": datetime.datetime.utcnow().strftime("%H:%M:%S")}
                                (logdir / f"{s}-r{rnd}-{e}-c{c}-a{attempt}.wrk.txt").write_text(res["wrk_stdout"])
                                tries.append(row)
                                log(f"{s} {e} c={c}: {row['rps']:.1f} req/s, p50 {row['p50_ms']:.2f} ms, p99 "
                                    f"{row['p99_ms']:.2f} ms, errors {row['errors']}, {row['cpu_us_per_req']} µs CPU/req, "
                                    f"other {row['other_cores']}")
                                if row["other_cores"] <= args.noisy or retries[0] <= 0:
                                    break
                                retries[0] -= 1
                                log(f"  disturbed (other {row['other_cores']} cores > {args.noisy}): once more "
                                    f"({retries[0]} retries left)")
                            best = min(tries, key=lambda r: r["other_cores"])  # the less disturbed run is kept
                            for row in tries:
                                row["kept"] = int(row is best)
                                rw.writerow(row)
                            runs_csv.flush()
                            runs.append(best)
                    mem = tree_mem_kib(srv.roots)
                    sampler.stop()
                    rec.update(peak_hwm_sum_mib=round(mem["hwm"] / 1024, 1),
                               peak_pss_sum_mib=round(max(sampler.peak_pss, mem["pss"]) / 1024, 1),
                               peak_rss_sum_mib=round(max(sampler.peak_rss, mem["rss"]) / 1024, 1), procs=mem["procs"])
                except Stop:
                    raise
                except Exception as ex:  # a server that fails is reported, never estimated
                    log(f"{s}: FAILED: {ex}")
                    rec["note"] += f"failed: {ex}"
                finally:
                    if sampler:
                        sampler.stop()
                    log(f"stopping {s}")
                    srv.stop()
                    current.clear()
                starts.append(rec)
                sw.writerow(rec)
                starts_csv.flush()
    except (Stop, KeyboardInterrupt) as ex:
        log(f"interrupted ({ex}); stopping")
        for srv in current:
            srv.stop()
        raise SystemExit(130)
    finally:
        runs_csv.close()
        starts_csv.close()
    meta["end"] = datetime.datetime.utcnow().strftime("%H:%M")
    meta["load_end"] = " ".join(open("/proc/loadavg").read().split()[:3])
    md = report(args, runs, starts, skipped, meta)
    (out / "results.md").write_text(md + "\n")
    print()
    print(md)
    print(f"\nbench: wrote {out}/results.md, runs.csv, starts.csv, logs/")


if __name__ == "__main__":
    main()
