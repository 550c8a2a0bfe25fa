"""Concurrency and batching, stalled clients and timeouts, the connection limit, and shutdown."""
import json
import signal
import socket
import threading
import time

import pytest
import requests

from serverlib import (DIGIT2, DIGIT7, TIMEOUT, UNAVAILABLE, assert_error, assert_text_digit, connect, describe,
                       http_request, poll, read, read_response, scrape, wait_closed)

PING = http_request("GET", "/ping")


def run_threads(n, target):
    errors = []

    def wrap(i):
        try:
            target(i)
        except BaseException as e:  # reported by the main thread
            errors.append(f"thread {i}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=wrap, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "threads still running after 60 s"
    assert not errors, "\n".join(errors[:10])


# ---------------------------------------------------------------- concurrency and batching

def test_concurrent_mixed_requests_and_batching(start_server, reference):
    s = start_server("--max-batch-delay", 5, "--batch-size", 8)
    imgs = [read(DIGIT2), read(DIGIT7)]
    expected = [str(reference.predict(i)["digit"]) for i in imgs]
    tensors = [reference.tensor(i).tobytes() for i in imgs]
    bad_bodies = [b"not an image", read(DIGIT7)[:300], b"\x89PNG\r\n\x1a\n" + b"\0" * 40]
    counts = {"good": 0, "bad": 0}
    lock = threading.Lock()

    def client(i):
        with requests.Session() as session:
            for j in range(20):
                k = (i + j) % 2
                if j % 4 == 3:  # a bad one
                    r = session.put(s.url() + "/predictions/convnet", data=bad_bodies[(i + j) % 3], timeout=TIMEOUT)
                    assert_error(r, 400)
                    what = "bad"
                elif j % 4 == 1:  # Flask
                    r = session.post(s.url() + "/test", files={
                        "metadata": ("metadata", json.dumps({"dims": [1, 28, 28]}), "application/json"),
                        "data": ("data", tensors[k], "application/octet-stream")}, timeout=TIMEOUT)
                    assert r.status_code == 200 and r.text == expected[k], describe(r)
                    what = "good"
                else:
                    r = session.put(s.url() + "/predictions/convnet", data=imgs[k], timeout=TIMEOUT)
                    assert r.status_code == 200 and r.text == expected[k], describe(r)
                    what = "good"
                with lock:
                    counts[what] += 1

    t0 = time.monotonic()
    run_threads(16, client)
    assert counts == {"good": 16 * 15, "bad": 16 * 5}, counts
    elapsed = time.monotonic() - t0
    m = scrape(s)
    n_batches = m.total("digitinfer_batch_size_count", model="convnet")
    n_images = m.total("digitinfer_batch_size_sum", model="convnet")
    cumulative = {}  # upper bound -> batches of at most that many images
    for lab, v in m.find("digitinfer_batch_size_bucket", model="convnet"):
        cumulative[float(lab["le"])] = cumulative.get(float(lab["le"]), 0) + v
    assert n_images >= counts["good"], (n_images, counts)
    # Batching shares forwards: fewer forwards than images, and some batch held more than one image.
    assert n_batches < n_images, (n_batches, n_images, cumulative, elapsed)
    if 1.0 in cumulative:
        assert cumulative[1.0] < n_batches, cumulative
    # No batch above --batch-size 8 (decidable when a bucket bound lies in [8, 9)).
    bounds = [le for le in cumulative if 8 <= le < 9]
    if bounds:
        assert cumulative[bounds[0]] == n_batches, f"a batch above --batch-size 8: {cumulative}"


def test_greedy_batching_answers_a_lone_request_at_once(start_server, reference):
    # --max-batch-delay 0 (the default) never waits: a lone request is answered without delay.
    s = start_server("--batch-size", 64)
    img = read(DIGIT2)
    s.predict(img)
    t0 = time.monotonic()
    for _ in range(5):
        assert_text_digit(s.predict(img), reference.predict(img)["digit"])
    assert (time.monotonic() - t0) / 5 < 0.25


# ---------------------------------------------------------------- stalled clients

def stalled_body(port, total=9317, sent=4000):
    s = connect(port, timeout=10)
    s.sendall(http_request("PUT", "/predictions/convnet", headers={"Content-Length": str(total)})
              + read(DIGIT7)[:sent])
    return s


def stalled_headers(port):
    s = connect(port, timeout=10)
    s.sendall(b"PUT /predictions/convnet HTTP/1.1\r\nHost: x\r\nContent-Le")
    return s


def test_stalled_clients_do_not_block_others(start_server, reference):
    s = start_server("--io-threads", 1, "--workers", 1)  # even with one I/O thread
    stalled = [stalled_body(s.port()), stalled_headers(s.port()), stalled_body(s.port(), sent=0)]
    try:
        img = read(DIGIT2)
        t0 = time.monotonic()
        for _ in range(10):
            r = requests.put(s.url() + "/predictions/convnet", data=img, timeout=(2, 3))
            assert_text_digit(r, reference.predict(img)["digit"])
        assert time.monotonic() - t0 < 5
        # The stalled connections are still open (the default read timeout is 30 s).
        for sock in stalled:
            sock.settimeout(0.05)
            with pytest.raises(socket.timeout):
                sock.recv(1)
        # The first one can still finish its request.
        stalled[0].sendall(read(DIGIT7)[4000:])
        resp, _ = read_response(stalled[0], timeout=5)
        assert resp is not None and resp.status == 200, resp
        assert resp.body.decode() == str(reference.predict(read(DIGIT7))["digit"])
    finally:
        for sock in stalled:
            sock.close()


@pytest.mark.parametrize("stall", ["body", "headers"])
def test_read_timeout_closes_stalled_connection(start_server, stall):
    s = start_server("--read-timeout", 1)
    sock = stalled_body(s.port()) if stall == "body" else stalled_headers(s.port())
    with sock:
        t0 = time.monotonic()
        try:
            resp, _ = read_response(sock, timeout=5)
        except socket.timeout:
            raise AssertionError("a stalled connection is still open 5 s after --read-timeout 1")
        elapsed = time.monotonic() - t0
        if resp is not None:
            assert resp.status == 408, resp
            assert resp.json()["type"] == "RequestTimeoutException", resp
            assert wait_closed(sock, 2), "open after the 408"
        assert 0.5 <= elapsed <= 4, elapsed
    r = requests.get(s.url() + "/ping", timeout=TIMEOUT)
    assert r.status_code == 200, describe(r)


def test_keep_alive_timeout_closes_idle_connection(start_server):
    s = start_server("--keep-alive-timeout", 1)
    with connect(s.port()) as sock:
        sock.sendall(PING)
        resp, _ = read_response(sock)
        assert resp is not None and resp.status == 200, resp
        t0 = time.monotonic()
        assert wait_closed(sock, 5), "idle keep-alive connection still open 5 s after --keep-alive-timeout 1"
        assert 0.5 <= time.monotonic() - t0 <= 4


def test_slow_reader_does_not_block_others(start_server, reference):
    # A client that sends many pipelined requests and never reads: other clients are still served.
    s = start_server("--io-threads", 1)
    with connect(s.port()) as sock:
        sock.settimeout(0.5)
        try:
            for _ in range(2000):
                sock.sendall(http_request("GET", "/"))
        except (socket.timeout, BrokenPipeError, ConnectionResetError):
            pass
        img = read(DIGIT2)
        for _ in range(5):
            r = requests.put(s.url() + "/predictions/convnet", data=img, timeout=(2, 3))
            assert_text_digit(r, reference.predict(img)["digit"])


# ---------------------------------------------------------------- connection limit

def test_connection_limit(start_server, reference):
    s = start_server("--max-connections", 4)
    held = []
    try:
        for _ in range(4):
            sock = connect(s.port())
            sock.sendall(PING)
            resp, _ = read_response(sock)
            assert resp is not None and resp.status == 200, resp
            held.append(sock)
        # The fifth: a clear answer (503 JSON) or a clean refusal (refused, reset or closed), never a hang.
        t0 = time.monotonic()
        try:
            fifth = connect(s.port())
        except ConnectionRefusedError:
            fifth = None
        if fifth is not None:
            with fifth:
                try:
                    fifth.sendall(PING)
                    resp, _ = read_response(fifth, timeout=5)
                except (BrokenPipeError, ConnectionResetError):
                    resp = None
                except socket.timeout:
                    raise AssertionError("the fifth connection hangs: no answer and no close in 5 s")
                if resp is not None:
                    assert resp.status == 503, resp
                    body = resp.json()
                    assert body["code"] == 503 and body["type"] == UNAVAILABLE and body["message"], resp
                    assert wait_closed(fifth, 2)
        assert time.monotonic() - t0 < 5
        # The four held connections still work.
        for sock in held:
            sock.sendall(PING)
            resp, _ = read_response(sock)
            assert resp is not None and resp.status == 200, resp
    finally:
        for sock in held:
            sock.close()
    img = read(DIGIT2)

    def served():
        try:
            r = requests.put(s.url() + "/predictions/convnet", data=img, timeout=(1, 2))
            return r.status_code == 200 and r.text == str(reference.predict(img)["digit"])
        except requests.RequestException:
            return False

    assert poll(served, timeout=5, interval=0.1), "not served again after the held connections closed"
    for _ in range(8):  # and new connections are counted down again: more than 4 in a row
        assert served()


# ---------------------------------------------------------------- shutdown

def in_flight(s, img, results):
    def send():
        try:
            results["response"] = requests.put(s.url() + "/predictions/convnet", data=img, timeout=(3, 15))
        except Exception as e:
            results["error"] = e
    t = threading.Thread(target=send, daemon=True)
    t.start()
    return t


def test_sigterm_finishes_in_flight_request(start_server, reference):
    s = start_server("--max-batch-delay", 500, "--batch-size", 64, "--shutdown-timeout", 5)
    img = read(DIGIT7)
    results = {}
    t0 = time.monotonic()
    thread = in_flight(s, img, results)
    time.sleep(0.2)  # the request waits in the batcher (500 ms)
    assert "response" not in results, "answered before the batch delay: the batcher did not wait"
    s.send_signal(signal.SIGTERM)
    time.sleep(0.05)
    # New connections are refused (or closed without an answer) once shutdown has begun.
    refused = False
    try:
        with connect(s.port(), timeout=3) as sock:
            sock.sendall(PING)
            try:
                resp, _ = read_response(sock, timeout=3)
            except (ConnectionResetError, BrokenPipeError):
                resp = None
            refused = resp is None or resp.status == 503
    except (ConnectionRefusedError, ConnectionResetError):
        refused = True
    thread.join(timeout=15)
    rc = s.wait(timeout=5 + 2)
    elapsed = time.monotonic() - t0
    problems = []
    if "error" in results:
        problems.append(f"the in-flight request failed: {results['error']!r}")
    else:
        r = results["response"]
        if r.status_code != 200 or r.text != str(reference.predict(img)["digit"]):
            problems.append(f"the in-flight request got {r.status_code} {r.text!r}")
    if rc != 0:
        problems.append(f"exit code {rc} after SIGTERM")
    if elapsed >= 5 + 3:
        problems.append(f"exit {elapsed:.1f} s after SIGTERM (--shutdown-timeout 5)")
    if not refused:
        problems.append("a new connection was served after SIGTERM")
    assert not problems, "\n".join(problems)
    with pytest.raises(OSError):
        connect(s.port(), timeout=1).close()


def test_sigterm_with_idle_keep_alive_connection(start_server):
    s = start_server("--shutdown-timeout", 3)
    with connect(s.port()) as sock:
        sock.sendall(PING)
        assert read_response(sock)[0].status == 200
        t0 = time.monotonic()
        s.send_signal(signal.SIGTERM)
        rc = s.wait(timeout=3 + 2)
        assert rc == 0, f"exit code {rc}"
        assert time.monotonic() - t0 < 3 + 1.5
        assert wait_closed(sock, 1)


def test_sigterm_with_stalled_request(start_server):
    # A request that never completes does not hold the process beyond --shutdown-timeout.
    s = start_server("--shutdown-timeout", 2)
    with stalled_body(s.port()):
        time.sleep(0.1)
        t0 = time.monotonic()
        s.send_signal(signal.SIGTERM)
        rc = s.wait(timeout=2 + 3)
        assert rc == 0, f"exit code {rc}"
        assert time.monotonic() - t0 < 2 + 2


def test_sigint_exits_0(start_server):
    s = start_server()
    assert s.predict(read(DIGIT2)).status_code == 200
    assert s.stop(signal.SIGINT, timeout=5) == 0


def test_unregister_waits_for_in_flight_requests(start_server, reference):
    s = start_server("--enable-model-api", "--max-batch-delay", 500, "--batch-size", 64)
    r = s.management("POST", "/models", params={"url": "convnet.dimodel", "model_name": "leaving",
                                                  "max_batch_delay": 500, "batch_size": 64})
    assert r.status_code == 200, describe(r)
    img = read(DIGIT7)
    results = {}

    def send():
        try:
            results["response"] = requests.put(s.url() + "/predictions/leaving", data=img, timeout=(3, 15))
        except Exception as e:
            results["error"] = e
    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    time.sleep(0.2)
    r = s.management("DELETE", "/models/leaving", timeout=(3, 10))
    assert r.status_code == 200, describe(r)
    thread.join(timeout=15)
    assert "error" not in results, results
    assert_text_digit(results["response"], reference.predict(img)["digit"])
    assert s.predict(img, model="leaving").status_code == 404
