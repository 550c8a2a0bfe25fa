"""Server soak of issue 11: valid traffic from wrk for a long time while a second client sends
hostile requests, and what the server's latency and memory do meanwhile.

    bench/soak/run.sh                       # 10 minutes (10 segments of 60 s)
    bench/soak/run.sh --segments 2 --segment-seconds 20     # a quick look

- valid traffic: wrk (post_file.lua of bench/server) PUTs examples/images/digit-7.png to
  /predictions/convnet, segment after segment; each segment reports its requests, non-2xx and wrong
  answers, socket errors and latency percentiles;
- hostile traffic, at the same time, round after round: malformed request lines and headers, a
  Content-Length over --max-request-size, chunked bodies cut off, slowloris connections (one header
  byte per second until --read-timeout), decompression bombs (a PNG claiming 100000^2 pixels, a 28x28
  PNG followed by 64 MiB of compressed zeros, a GIF with a 13377^2 screen), corrupt images and a NaN
  tensor on the Flask route. Each must get its expected status (or the connection closed); anything
  else is counted as "unexpected";
- the server's resident memory is read from /proc every --rss-interval seconds.

The pass criteria (docs/robustness.md): zero errors on the valid traffic, p99 stable across segments,
RSS flat after the first segment (max/min within 5%), zero unexpected answers to hostile requests.
Output: bench/soak/out/<stamp>/{soak.json,summary.md} and the server's logs.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "server"))
from serverlib import DIGIT7, Server, make_store, read  # noqa: E402

MAX_REQUEST = 1 << 20   # --max-request-size of the soaked server
READ_TIMEOUT = 5         # --read-timeout
MAX_PIXELS = 1 << 22     # --max-pixels: what a server facing the internet sets (4 Mpixel)


def png(width, height, idat, color_type=0):
    def chunk(kind, body):
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")
    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, color_type, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def zeros_bomb():
    """A 28x28 gray PNG whose IDAT goes on with 64 MiB of compressed zeros (~64 KB)."""
    z = zlib.compressobj(9)
    data = z.compress(b"\0" * (29 * 28))
    chunk = b"\0" * (1 << 20)
    for _ in range(64):
        data += z.compress(chunk)
    return png(28, 28, data + z.flush())


def gif_screen(width, height):
    """A GIF with a huge logical screen and a 1x1 frame (35 bytes)."""
    return (b"GIF89a" + width.to_bytes(2, "little") + height.to_bytes(2, "little") + b"\x80\x00\x00"
            + b"\0\0\0\xff\xff\xff" + b"\x2c\0\0\0\0\x01\0\x01\0\0" + b"\x02\x02\x44\x01\0" + b";")


def put(path, body):
    return (f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def flask_nan():
    boundary = "soakboundary"
    meta = json.dumps({"dims": [1, 28, 28]}).encode()
    data = b"\0\0\xc0\x7f" * 784  # float NaN
    parts = b""
    for name, ctype, body in (("metadata", "application/json", meta), ("data", "application/octet-stream", data)):
        parts += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\n"
                  f"Content-Type: {ctype}\r\n\r\n").encode() + body + b"\r\n"
    parts += f"--{boundary}--\r\n".encode()
    return (f"POST /test HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(parts)}\r\n\r\n").encode() + parts


def hostile_requests():
    """(name, raw request bytes, statuses accepted as the right answer; None: the connection is closed)."""
    digit = read(DIGIT7)
    huge = png(100000, 100000, zlib.compress(b"\0" * 100))
    return [
        ("garbage request line", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" * 20 + b"\r\n\r\n", {400, None}),
        ("header without colon", b"GET /ping HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n", {400, None}),
        ("huge header line", b"GET /ping HTTP/1.1\r\nX-A: " + b"a" * 200000 + b"\r\n\r\n", {400, 431, None}),
        ("Content-Length over the limit", f"PUT /predictions/convnet HTTP/1.1\r\nHost: x\r\n"
         f"Content-Length: {MAX_REQUEST * 64}\r\n\r\n".encode() + digit, {413, None}),
        ("negative Content-Length", b"PUT /predictions/convnet HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
         {400, None}),
        ("chunked body cut off", b"PUT /predictions/convnet HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"ffff\r\n" + digit[:1000], {400, 408, None}),
        ("PNG claiming 100000^2 pixels", put("/predictions/convnet", huge), {400}),
        ("28x28 PNG + 64 MiB of compressed zeros", put("/predictions/convnet", zeros_bomb()), {200, 400, 413}),
        ("GIF with a 13377^2 screen", put("/predictions/convnet", gif_screen(13377, 13377)), {400}),
        ("truncated PNG", put("/predictions/convnet", digit[: len(digit) // 2]), {400}),
        ("not an image", put("/predictions/convnet", b"hello" * 100), {400}),
        ("NaN tensor on /test", flask_nan(), {400}),
    ]


def status_of(raw, timeout):
    """Sends raw bytes and returns the response's status code, or None when the server closes."""
    with socket.create_connection(("127.0.0.1", PORT[0]), timeout=timeout) as s:
        try:
            s.sendall(raw)
        except OSError:
            pass  # the server may answer and close before reading everything
        data = b""
        try:
            while b"\r\n" not in data:
                more = s.recv(4096)
                if not more:
                    break
                data += more
        except (socket.timeout, ConnectionResetError):
            return None if not data else int(data.split(b" ")[1])
        return int(data.split(b" ")[1]) if data.startswith(b"HTTP/") else None


def slowloris(stop, counts, lock):
    """One header byte per second until the server cuts the connection off (--read-timeout)."""
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", PORT[0]), timeout=READ_TIMEOUT * 4) as s:
                for byte in b"PUT /predictions/convnet HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 1000:
                    s.sendall(bytes([byte]))
                    if stop.wait(1.0):
                        break
                outcome = "cut off" if time.monotonic() - t0 < READ_TIMEOUT * 3 else "unexpected: kept open"
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            outcome = "cut off" if time.monotonic() - t0 < READ_TIMEOUT * 3 else "unexpected: kept open"
        with lock:
            counts.setdefault("slowloris", {}).setdefault(outcome, 0)
            counts["slowloris"][outcome] += 1


def hostile(stop, counts, lock):
    cases = hostile_requests()
    while not stop.is_set():
        for name, raw, expected in cases:
            if stop.is_set():
                break
            try:
                got = status_of(raw, timeout=30)
            except OSError as e:
                got = f"error {type(e).__name__}"
            outcome = "expected" if got in expected else f"unexpected: {got}"
            with lock:
                counts.setdefault(name, {}).setdefault(outcome, 0)
                counts[name][outcome] += 1
            stop.wait(0.05)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def sample_rss(pid, stop, samples, interval):
    t0 = time.monotonic()
    while not stop.wait(interval):
        samples.append((round(time.monotonic() - t0, 1), rss_kib(pid)))


def wrk_segment(args, seconds, out_dir, index):
    env = dict(os.environ, BENCH_BODY=str(DIGIT7), BENCH_EXPECT="7", BENCH_METHOD="PUT")
    cmd = ["wrk", "-t", str(args.wrk_threads), "-c", str(args.connections), "-d", f"{seconds}s", "--latency",
           "-s", str(ROOT / "bench" / "server" / "post_file.lua"), f"http://127.0.0.1:{PORT[0]}/predictions/convnet"]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 60)
    (out_dir / f"wrk-{index:02d}.txt").write_text(r.stdout + r.stderr)
    line = next(l for l in r.stdout.splitlines() if l.startswith("BENCH_JSON "))
    return json.loads(line[len("BENCH_JSON "):])


PORT = [0]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--segments", type=int, default=10)
    p.add_argument("--segment-seconds", type=int, default=60)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--wrk-threads", type=int, default=1)
    p.add_argument("--rss-interval", type=float, default=10.0)
    p.add_argument("--slowloris", type=int, default=4, help="concurrent slowloris connections")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out_dir = args.out or ROOT / "bench" / "soak" / "out" / stamp
    out_dir.mkdir(parents=True, exist_ok=True)
    server = Server(out_dir, name="soak", store=make_store(out_dir / "store"), args=[
        "--max-request-size", MAX_REQUEST, "--read-timeout", READ_TIMEOUT, "--max-pixels", MAX_PIXELS,
        "--max-connections", 256])
    server.start()
    PORT[0] = server.port()
    stop, lock = threading.Event(), threading.Lock()
    counts, samples = {}, [(0.0, rss_kib(server.pid))]
    workers = [threading.Thread(target=hostile, args=(stop, counts, lock), daemon=True),
               threading.Thread(target=sample_rss, args=(server.pid, stop, samples, args.rss_interval), daemon=True)]
    workers += [threading.Thread(target=slowloris, args=(stop, counts, lock), daemon=True)
                for _ in range(args.slowloris)]
    try:
        for w in workers:
            w.start()
        segments = []
        for i in range(args.segments):
            segments.append(wrk_segment(args, args.segment_seconds, out_dir, i))
            s = segments[-1]
            print(f"segment {i}: {s['requests']} requests, p50 {s['p50_us']} us, p99 {s['p99_us']} us, "
                  f"non2xx {s['non2xx']}, wrong {s['wrong']}, socket errors "
                  f"{s['connect'] + s['read'] + s['write'] + s['timeout']}, RSS {samples[-1][1]} KiB", flush=True)
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=READ_TIMEOUT * 4)
        server.stop(timeout=30)
    after_warmup = [kib for t, kib in samples if t >= args.segment_seconds] or [samples[-1][1]]
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "load_before": os.getloadavg(),
        "server": server.cmd, "segments": segments, "rss_kib": samples, "hostile": counts,
        "rss_after_first_segment": {"min": min(after_warmup), "max": max(after_warmup),
                                    "spread": max(after_warmup) / min(after_warmup) - 1},
        "valid_errors": sum(s["non2xx"] + s["wrong"] + s["connect"] + s["read"] + s["write"] + s["timeout"]
                            for s in segments),
        "p99_us": [s["p99_us"] for s in segments],
        "unexpected_hostile": sum(n for c in counts.values() for k, n in c.items() if k.startswith("unexpected")),
    }
    (out_dir / "soak.json").write_text(json.dumps(result, indent=1))
    lines = [f"# Soak {result['date']}", "", f"server: `{' '.join(map(str, server.cmd))}`", "",
             "| segment | requests | p50 ms | p99 ms | max ms | errors |", "| --- | --- | --- | --- | --- | --- |"]
    for i, s in enumerate(segments):
        errors = s["non2xx"] + s["wrong"] + s["connect"] + s["read"] + s["write"] + s["timeout"]
        lines.append(f"| {i} | {s['requests']} | {s['p50_us'] / 1000:.2f} | {s['p99_us'] / 1000:.2f} | "
                     f"{s['max_us'] / 1000:.1f} | {errors} |")
    r = result["rss_after_first_segment"]
    lines += ["", f"RSS after the first segment: {r['min']}..{r['max']} KiB (spread {r['spread'] * 100:.1f}%)",
              f"valid-traffic errors: {result['valid_errors']}; unexpected hostile answers: "
              f"{result['unexpected_hostile']}", "", "| hostile request | outcomes |", "| --- | --- |"]
    lines += [f"| {name} | {', '.join(f'{k}: {n}' for k, n in sorted(c.items()))} |" for name, c in counts.items()]
    (out_dir / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"written: {out_dir}")
    ok = result["valid_errors"] == 0 and result["unexpected_hostile"] == 0 and r["spread"] <= 0.05
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
