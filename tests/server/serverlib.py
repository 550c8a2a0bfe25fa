"""Helpers for the digitinfer-server integration tests: starting and stopping servers, HTTP over
requests and over raw sockets, the reference pipeline, images, Prometheus text.

Every network call here is bounded in time (socket timeouts), every server started is stopped by
its PID, and nothing here types in an expected prediction: digits and probabilities come from the
Python reference pipeline (tools/reference.py, SPEC section 2) run in this process.
"""
import hashlib
import io
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
IMAGES = ROOT / "examples" / "images"
DIGIT2 = IMAGES / "digit-2.png"  # 28x28 gray
DIGIT7 = IMAGES / "digit-7.png"  # 251x248 RGBA
BAD = ROOT / "tests" / "data" / "bad"
GOLDEN = ROOT / "tests" / "data" / "golden.json"
NATIVE_MODEL = MODELS / "convnet.dimodel"
TORCH_MODEL = MODELS / "convnet.traced.pt"

# (connect, read) for every requests call of the suite.
TIMEOUT = (3, 10)
START_TIMEOUT = 20.0  # seconds until "digitinfer-server: ready"
STOP_TIMEOUT = 15.0  # seconds from SIGTERM to exit, unless a test says otherwise
TOLERANCE = 1e-5  # probabilities: the library agrees with the reference to 1e-5

LISTENING_RE = re.compile(r"^digitinfer-server: (\w+) listening on (\S+):(\d+)\s*$")
READY_LINE = "digitinfer-server: ready"

# The error types of the contract ("Every error").
BAD_REQUEST = "BadRequestException"
INVALID_KEY = "InvalidKeyException"
RESOURCE_NOT_FOUND = "ResourceNotFoundException"
MODEL_NOT_FOUND = "ModelNotFoundException"
VERSION_NOT_FOUND = "ModelVersionNotFoundException"
METHOD_NOT_ALLOWED = "MethodNotAllowedException"
REQUEST_TIMEOUT = "RequestTimeoutException"
CONFLICT = "ConflictStatusException"
TOO_LARGE = "RequestTooLargeException"
UNSUPPORTED_MEDIA = "UnsupportedMediaTypeException"
UNAVAILABLE = "ServiceUnavailableException"
TOKEN_MESSAGE = "Token Authorization failed. Token either incorrect, expired, or not provided correctly"


def truthy(value):
    return (value or "").strip().upper() in ("1", "ON", "TRUE", "YES", "Y")


def _build_dir_of(binary):
    # <build>/examples/server/digitinfer-server
    return Path(binary).resolve().parents[2]


def find_binary():
    """DIGITINFER_SERVER_BIN, else the release build's, else the static or notorch build's (None if none)."""
    env = os.environ.get("DIGITINFER_SERVER_BIN")
    if env:
        return Path(env).absolute()  # servers run in their own directories
    for build in ("build", "build-static", "build-notorch"):
        candidate = ROOT / build / "examples" / "server" / "digitinfer-server"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def with_torch(binary):
    """DIGITINFER_WITH_TORCH ("1"/"ON"), else what the binary's build tree was configured with."""
    env = os.environ.get("DIGITINFER_WITH_TORCH")
    if env is not None and env.strip():
        return truthy(env)
    if binary is None:
        return False
    cache = _build_dir_of(binary) / "CMakeCache.txt"
    try:
        m = re.search(r"^DIGITINFER_WITH_TORCH:\w+=(\S*)", cache.read_text(errors="replace"), re.M)
    except OSError:
        return False
    return bool(m) and truthy(m.group(1))


BINARY = find_binary()
WITH_TORCH = with_torch(BINARY)


def make_store(directory):
    """A model store: a copy of convnet.dimodel (and convnet.traced.pt when built with libtorch)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(NATIVE_MODEL, directory / "convnet.dimodel")
    if WITH_TORCH:
        shutil.copy(TORCH_MODEL, directory / "convnet.traced.pt")
    return directory


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- the server process

class ServerError(Exception):
    pass


class Server:
    """One digitinfer-server process: started, its ports read from stdout, stopped by PID."""

    _count = 0

    def __init__(self, workdir, args=(), env=None, store=None, addresses=True, models="convnet=convnet.dimodel",
                 name=None):
        Server._count += 1
        self.name = name or f"server{Server._count}"
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.store = Path(store) if store else None
        cmd = [str(BINARY)]
        if self.store is not None:
            cmd += ["--model-store", str(self.store)]
        if models:
            cmd += ["--models", models]
        if addresses:
            for kind in ("inference", "management", "metrics"):
                cmd += [f"--{kind}-address", "http://127.0.0.1:0"]
        cmd += [str(a) for a in args]
        self.cmd = cmd
        self.env = dict(os.environ)
        self.env.pop("PORT", None)
        self.env.update(env or {})
        self.proc = None
        self.returncode = None
        self.ports = {}
        self.hosts = {}
        self.stdout_lines = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._eof = threading.Event()
        self.stderr_path = self.workdir / f"{self.name}.stderr"
        self.stop_seconds = None  # how long the last stop took

    # -- lifecycle

    def start(self, timeout=START_TIMEOUT, expect_ready=True):
        if BINARY is None:
            raise ServerError("no digitinfer-server binary (set DIGITINFER_SERVER_BIN)")
        self._stderr_file = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._stderr_file, cwd=str(self.workdir), env=self.env,
                                     start_new_session=True)
        self._reader = threading.Thread(target=self._read_stdout, name=f"{self.name}-stdout", daemon=True)
        self._reader.start()
        if not expect_ready:
            return self
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.02):
            if self.proc.poll() is not None and self._eof.wait(1.0):
                self.returncode = self.proc.returncode
                raise ServerError(f"{self.name} exited with {self.returncode} before 'ready'\n{self.logs()}")
            if time.monotonic() > deadline:
                self.kill()
                raise ServerError(f"{self.name} not ready within {timeout} s\n{self.logs()}")
        return self

    def _read_stdout(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            with self._lock:
                self.stdout_lines.append(line)
            m = LISTENING_RE.match(line)
            if m:
                self.hosts[m.group(1)] = m.group(2)
                self.ports[m.group(1)] = int(m.group(3))
            elif line.strip() == READY_LINE:
                self._ready.set()
        self._eof.set()

    @property
    def pid(self):
        return self.proc.pid

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig=signal.SIGTERM):
        if self.running:
            os.kill(self.proc.pid, sig)

    def wait(self, timeout):
        """The exit code, or None if still running after timeout seconds."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self._eof.wait(2.0)
        return self.returncode

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Signals the process (by its PID) and waits; kills it after timeout. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            t0 = time.monotonic()
            os.kill(self.proc.pid, sig)
            rc = self.wait(timeout)
            self.stop_seconds = time.monotonic() - t0
            if rc is None:
                self.kill()
                raise ServerError(f"{self.name} (pid {self.proc.pid}) did not exit within {timeout} s of "
                                  f"signal {sig}; killed\n{self.logs()}")
        self.returncode = self.proc.returncode
        self._close_files()
        return self.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        if self.proc is not None:
            self.returncode = self.proc.returncode
        self._close_files()

    def _close_files(self):
        f = getattr(self, "_stderr_file", None)
        if f is not None and not f.closed:
            f.close()

    # -- output

    def stdout(self):
        with self._lock:
            return "\n".join(self.stdout_lines)

    def stderr(self):
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def logs(self, tail=150):
        def cut(text):
            lines = text.splitlines()
            return "\n".join(lines[-tail:]) if len(lines) > tail else text
        rc = self.proc.poll() if self.proc else None
        return (f"--- {self.name}: {' '.join(self.cmd)}\n--- pid {self.proc.pid if self.proc else '-'}, "
                f"exit code {rc}\n--- stdout:\n{cut(self.stdout())}\n--- stderr:\n{cut(self.stderr())}\n")

    def rss_peak_kib(self):
        """VmHWM of the running process (KiB), None if unavailable."""
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        except OSError:
            return None
        return None

    # -- addresses

    def port(self, kind="inference"):
        return self.ports[kind]

    def url(self, kind="inference"):
        host = self.hosts.get(kind, "127.0.0.1")
        if host in ("0.0.0.0", "::", "[::]", "*"):
            host = "127.0.0.1"
        return f"http://{host}:{self.ports[kind]}"

    def request(self, kind, method, path, **kw):
        kw.setdefault("timeout", TIMEOUT)
        return requests.request(method, self.url(kind) + path, **kw)

    def inference(self, method, path, **kw):
        return self.request("inference", method, path, **kw)

    def management(self, method, path, **kw):
        return self.request("management", method, path, **kw)

    def metrics(self, **kw):
        return self.request("metrics", "GET", "/metrics", **kw)

    def predict(self, data, model="convnet", method="PUT", **kw):
        return self.inference(method, f"/predictions/{model}", data=data, **kw)


# ---------------------------------------------------------------- responses

def describe(r):
    """A request and its answer, for assertion messages."""
    req = r.request
    body = req.body if req is not None else None
    if isinstance(body, (bytes, bytearray)):
        body = f"<{len(body)} bytes> {bytes(body[:120])!r}"
    elif isinstance(body, str):
        body = body[:300]
    elif body is not None:
        body = f"<{type(body).__name__}>"
    return (f"\n>>> {req.method} {req.url}\n>>> headers {dict(req.headers)}\n>>> body {body}\n"
            f"<<< {r.status_code} {dict(r.headers)}\n<<< {r.text[:800]!r}")


def assert_status(r, status):
    assert r.status_code == status, f"expected {status}{describe(r)}"


def assert_error(r, status, type_=None):
    """The contract's error: that status, a JSON body {"code": status, "type": ..., "message": "..."}."""
    assert r.status_code == status, f"expected {status} {type_ or ''}{describe(r)}"
    ctype = r.headers.get("Content-Type", "")
    assert ctype.startswith("application/json"), f"error Content-Type is {ctype!r}{describe(r)}"
    try:
        body = r.json()
    except ValueError:
        raise AssertionError(f"error body is not JSON{describe(r)}")
    assert isinstance(body, dict), describe(r)
    assert body.get("code") == status, f"'code' is not {status}{describe(r)}"
    if type_ is not None:
        assert body.get("type") == type_, f"'type' is not {type_}{describe(r)}"
    else:
        assert isinstance(body.get("type"), str) and body["type"].endswith("Exception"), describe(r)
    assert isinstance(body.get("message"), str) and body["message"].strip(), f"no 'message'{describe(r)}"
    return body


def assert_text_digit(r, digit):
    assert r.status_code == 200, f"expected 200 with body {digit}{describe(r)}"
    ctype = r.headers.get("Content-Type", "")
    assert ctype.startswith("text/plain"), f"Content-Type is {ctype!r}{describe(r)}"
    assert r.text == str(digit), f"expected body {str(digit)!r}{describe(r)}"


def assert_probabilities(got, expected, tol=TOLERANCE, what="probabilities"):
    assert isinstance(got, list) and len(got) == len(expected), f"{what}: {got!r} vs {expected!r}"
    worst = max(abs(float(g) - float(e)) for g, e in zip(got, expected))
    assert worst <= tol, f"{what} differ from the reference by {worst:.3g} > {tol}:\n{got}\n{expected}"


# ---------------------------------------------------------------- raw sockets

class RawResponse:
    def __init__(self, status, reason, headers, body):
        self.status, self.reason, self.headers, self.body = status, reason, headers, body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return f"RawResponse({self.status} {self.reason}, {self.headers}, {self.body[:300]!r})"


def connect(port, host="127.0.0.1", timeout=5.0):
    s = socket.create_connection((host, port), timeout=3.0)
    s.settimeout(timeout)
    return s


def read_response(sock, timeout=5.0, buffered=b""):
    """Reads one HTTP/1.1 response. Returns (RawResponse or None if the peer closed first, leftover).

    Raises socket.timeout if nothing complete arrives within timeout seconds."""
    deadline = time.monotonic() + timeout
    buf = bytearray(buffered)

    def more():
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("no complete response in time")
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if chunk:
            buf.extend(chunk)
        return bool(chunk)

    while b"\r\n\r\n" not in buf:
        if not more():
            return None, bytes(buf)
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1])
    reason = parts[2] if len(parts) > 2 else ""
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    buf = bytearray(rest)
    if status in (100, 101) or 100 <= status < 200:
        return RawResponse(status, reason, headers, b""), bytes(buf)
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = bytearray()
        while True:
            while b"\r\n" not in buf:
                if not more():
                    return RawResponse(status, reason, headers, bytes(body)), b""
            size_line, _, rest = bytes(buf).partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            buf = bytearray(rest)
            while len(buf) < size + 2:
                if not more():
                    break
            body.extend(buf[:size])
            buf = bytearray(buf[size + 2:])
            if size == 0:
                break
        return RawResponse(status, reason, headers, bytes(body)), bytes(buf)
    if "content-length" in headers:
        n = int(headers["content-length"])
        while len(buf) < n:
            if not more():
                break
        return RawResponse(status, reason, headers, bytes(buf[:n])), bytes(buf[n:])
    while more():  # until close
        pass
    return RawResponse(status, reason, headers, bytes(buf)), b""


def wait_closed(sock, timeout=5.0):
    """True when the peer closes (EOF or reset) within timeout s; data received meanwhile is dropped."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        sock.settimeout(left)
        try:
            if not sock.recv(65536):
                return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False


def raw_exchange(port, data, timeout=5.0):
    """Sends bytes on a new connection and reads one response: (RawResponse or None, closed_after)."""
    with connect(port, timeout=timeout) as s:
        s.sendall(data)
        resp, _ = read_response(s, timeout)
        closed = resp is None or wait_closed(s, 2.0 if resp.headers.get("connection", "").lower() == "close"
                                             else 0.3)
        return resp, closed


def http_request(method, target, body=b"", headers=None, host="127.0.0.1"):
    """The bytes of one HTTP/1.1 request (Content-Length set unless headers give one)."""
    hdrs = {"Host": host}
    hdrs.update(headers or {})
    if body and not any(k.lower() in ("content-length", "transfer-encoding") for k in hdrs):
        hdrs["Content-Length"] = str(len(body))
    head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
    return head.encode("latin-1") + body


# ---------------------------------------------------------------- images

def read(path):
    return Path(path).read_bytes()


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width, height, idat_raw, color_type=0, bit_depth=8):
    """A PNG with the given IHDR and an IDAT holding zlib(idat_raw): lies about its size are allowed."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(idat_raw, 9))
            + _chunk(b"IEND", b""))


def gray_png(width, height, value=lambda x, y: (x * 7 + y * 13) % 256):
    rows = b"".join(b"\0" + bytes(value(x, y) for x in range(width)) for y in range(height))
    return png(width, height, rows)


def bomb_png(width=30000, height=30000):
    """A few hundred bytes declaring width x height gray pixels; the IDAT inflates to 1 MiB of rows."""
    return png(width, height, b"\0" * (1 << 20))


# ---------------------------------------------------------------- the reference pipeline

class Reference:
    """tools/reference.py (SPEC section 2) on models/convnet.traced.pt, in this process."""

    def __init__(self):
        sys.path.insert(0, str(ROOT / "tools"))
        import numpy as np
        import torch
        import reference
        from PIL import Image
        torch.set_num_threads(1)
        self.np, self.torch, self.ref, self.Image = np, torch, reference, Image
        self.model, self.meta = reference.load_model(TORCH_MODEL)
        self._cache = {}

    def _image(self, data):
        return self.Image.open(io.BytesIO(data))

    def tensor(self, data):
        """The normalized float32 [1,28,28] numpy array of an encoded image (to_grayscale, resize, to_tensor,
        normalize)."""
        with self._image(data) as img:
            return self.ref.preprocess(img, self.meta)[1].numpy().astype("<f4")

    def predict(self, data):
        """{"digit", "probabilities", "log_probabilities"} of an encoded image."""
        key = hashlib.sha256(data).hexdigest()
        if key not in self._cache:
            with self._image(data) as img:
                self._cache[key] = self.ref.predict(self.model, self.meta, img)
        return self._cache[key]

    def predict_tensor(self, array):
        return self.ref.infer(self.model, self.meta, self.torch.from_numpy(self.np.ascontiguousarray(array)))


def golden_case(image_rel, model="models/convnet.traced.pt"):
    for case in json.loads(GOLDEN.read_text())["cases"]:
        if case["image"] == image_rel and case["model"] == model:
            return case
    return None


def top_k(probabilities, k):
    """[(index, probability)] most probable first (ties: lower index first)."""
    return sorted(enumerate(probabilities), key=lambda ip: (-ip[1], ip[0]))[:k]


# ---------------------------------------------------------------- Prometheus text

_SAMPLE_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?\s*$")
_LABEL_RE = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')


def _float(text):
    return float(text)  # Python reads +Inf, -Inf and NaN too


class Metrics:
    """A parsed Prometheus text exposition: types by family, and samples (name, labels, value)."""

    def __init__(self, text):
        self.text = text
        self.types = {}
        self.samples = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            if line.startswith("#"):
                parts = line.split(None, 3)
                if len(parts) >= 4 and parts[1] == "TYPE":
                    self.types[parts[2]] = parts[3].strip()
                continue
            m = _SAMPLE_RE.match(line)
            if not m:
                raise ValueError(f"metrics line {n} does not parse: {line!r}")
            labels = {}
            if m.group(2):
                pos = 0
                while pos < len(m.group(2)):
                    lm = _LABEL_RE.match(m.group(2), pos)
                    if not lm or lm.end() == pos:
                        raise ValueError(f"metrics line {n}: bad labels: {line!r}")
                    labels[lm.group(1)] = lm.group(2)
                    pos = lm.end()
            self.samples.append((m.group(1), labels, _float(m.group(3))))

    def find(self, name, **labels):
        return [(lab, v) for (n, lab, v) in self.samples
                if n == name and all(lab.get(k) == str(val) for k, val in labels.items())]

    def value(self, name, **labels):
        found = self.find(name, **labels)
        assert len(found) == 1, f"{name}{labels}: {len(found)} samples\n{self.text}"
        return found[0][1]

    def total(self, name, **labels):
        return sum(v for _, v in self.find(name, **labels))


def scrape(server):
    r = server.metrics()
    assert r.status_code == 200, describe(r)
    return Metrics(r.text)


def poll(condition, timeout=3.0, interval=0.05):
    """Calls condition() until it returns a true value or timeout s pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
