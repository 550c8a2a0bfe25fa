"""GET /metrics on the metrics port: Prometheus text 0.0.4, promtool-clean, counting what was sent."""
import json
import os
import shutil
import subprocess
import time

import pytest
import requests

from serverlib import DIGIT2, DIGIT7, TIMEOUT, Metrics, describe, poll, read, scrape

PREFIX = "digitinfer_"
MODEL_HISTOGRAMS = ("queue_duration_seconds", "preprocess_duration_seconds", "inference_duration_seconds",
                    "batch_size")

# The traffic of the module's server, sent once: distinct counts per (endpoint, code).
GOOD_PREDICTIONS = 3
BAD_PREDICTIONS = 2
GOOD_FLASK = 4
BAD_FLASK = 1


@pytest.fixture(scope="module")
def traffic(module_server, reference):
    """A fresh server, the traffic above, and the metrics scraped once every request is counted."""
    s = module_server()
    img2, img7 = read(DIGIT2), read(DIGIT7)
    for i in range(GOOD_PREDICTIONS):
        r = s.predict(img2 if i % 2 else img7)
        assert r.status_code == 200, describe(r)
    for _ in range(BAD_PREDICTIONS):
        r = s.predict(b"not an image")
        assert r.status_code == 400, describe(r)
    t = reference.tensor(img7)
    for dims in [[1, 28, 28]] * GOOD_FLASK + [[1, 28, 27]] * BAD_FLASK:
        raw = t.tobytes() if dims == [1, 28, 28] else t.tobytes()[:28 * 27 * 4]
        r = requests.post(s.url() + "/test", files={"metadata": ("metadata", json.dumps({"dims": dims}),
                                                                 "application/json"),
                                                    "data": ("data", raw, "application/octet-stream")},
                          timeout=TIMEOUT)
        assert r.status_code == (200 if dims == [1, 28, 28] else 400), describe(r)
    total = GOOD_PREDICTIONS + BAD_PREDICTIONS + GOOD_FLASK + BAD_FLASK
    # Counters may be updated just after the answer is written: wait until they add up (or 3 s).
    m = poll(lambda: (lambda m: m if m.total(PREFIX + "requests_total", model="convnet") >= total else None)(
        scrape(s)), timeout=3.0)
    return s, (m or scrape(s))


def test_content_type(traffic):
    s, _ = traffic
    r = s.metrics()
    assert r.status_code == 200, describe(r)
    ctype = r.headers.get("Content-Type", "")
    assert ctype.startswith("text/plain") and "version=0.0.4" in ctype, ctype


def test_promtool_check_metrics(traffic):
    promtool = shutil.which("promtool")
    if promtool is None:
        print("promtool not found (apt-get install prometheus)")
        pytest.skip("promtool not found (apt-get install prometheus)")
    s, _ = traffic
    text = s.metrics().text
    p = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True, timeout=20)
    assert p.returncode == 0, f"promtool check metrics: exit {p.returncode}\n{p.stdout.decode()}" \
                              f"{p.stderr.decode()}\n--- metrics:\n{text}"


def test_requests_total_counts_exactly_what_was_sent(traffic):
    _, m = traffic
    name = PREFIX + "requests_total"
    assert m.types.get(name.removesuffix("_total")) == "counter" or m.types.get(name) == "counter", m.types
    series = {}
    for labels, value in m.find(name, model="convnet"):
        assert {"model", "endpoint", "code"} <= set(labels), labels
        series[(labels["endpoint"], labels["code"])] = value
    by_endpoint = {}
    for (endpoint, code), value in series.items():
        by_endpoint.setdefault(endpoint, {})[code] = value
    # The two endpoints are told apart by their counts: 3 x 200 + 2 x 400, and 4 x 200 + 1 x 400.
    want = [{"200": GOOD_PREDICTIONS, "400": BAD_PREDICTIONS}, {"200": GOOD_FLASK, "400": BAD_FLASK}]
    got = sorted(({c: int(v) for c, v in codes.items() if v} for codes in by_endpoint.values()),
                 key=lambda d: d.get("200", 0))
    assert got == want, f"requests_total{{model=\"convnet\"}}: {series}"
    predictions = [e for e, codes in by_endpoint.items() if codes.get("200") == GOOD_PREDICTIONS]
    assert "predict" in predictions[0].lower(), predictions


def check_histogram(m, family, min_count, **labels):
    buckets = [(lab, v) for lab, v in m.find(family + "_bucket", **labels)]
    assert buckets, f"no {family}_bucket{labels}\n{m.text}"
    assert m.types.get(family) == "histogram", (family, m.types.get(family))
    inf = [v for lab, v in buckets if lab.get("le") == "+Inf"]
    count = m.total(family + "_count", **labels)
    assert len(inf) >= 1 and sum(inf) == count, (family, inf, count)
    assert count >= min_count, (family, labels, count)
    # Cumulative buckets, per series.
    series = {}
    for lab, v in buckets:
        key = tuple(sorted((k, x) for k, x in lab.items() if k != "le"))
        series.setdefault(key, []).append((float(lab["le"]), v))
    for key, bs in series.items():
        values = [v for _, v in sorted(bs)]
        assert values == sorted(values), (family, key, bs)
    assert m.total(family + "_sum", **labels) >= 0
    return count, m.total(family + "_sum", **labels)


def test_latency_histograms(traffic):
    _, m = traffic
    good = GOOD_PREDICTIONS + GOOD_FLASK
    sent = GOOD_PREDICTIONS + BAD_PREDICTIONS + GOOD_FLASK + BAD_FLASK
    count, _ = check_histogram(m, PREFIX + "request_duration_seconds", sent)
    assert count <= sent + 10, count  # + the /metrics scrapes, if counted
    for family in ("queue_duration_seconds", "preprocess_duration_seconds", "inference_duration_seconds"):
        check_histogram(m, PREFIX + family, 1, model="convnet")
    # Every good image and tensor was queued once, every good image preprocessed once (a Flask tensor
    # needs no preprocessing); the undecodable bodies of /predictions may be counted too (when the
    # batch decodes), and so may a warm-up forward per worker.
    slack = BAD_PREDICTIONS + 2 * (os.cpu_count() or 1)
    count, _ = check_histogram(m, PREFIX + "queue_duration_seconds", good, model="convnet")
    assert good <= count <= good + slack, count
    count, _ = check_histogram(m, PREFIX + "preprocess_duration_seconds", GOOD_PREDICTIONS, model="convnet")
    assert GOOD_PREDICTIONS <= count <= good + slack, count


def test_batch_size_histogram(traffic):
    _, m = traffic
    good = GOOD_PREDICTIONS + GOOD_FLASK
    count, total = check_histogram(m, PREFIX + "batch_size", 1, model="convnet")
    # Sequential requests: every forward ran one image; the sum is the number of images forwarded.
    assert total in (good, good + 1) and count == total, (count, total)


def process_metric(m, name):
    """The contract lists the process metrics among the digitinfer_ families; the Prometheus
    convention names them without a prefix. Either, but exactly one sample."""
    found = m.find(PREFIX + name) + m.find(name)
    assert len(found) == 1, f"{name}: {found}\n{m.text}"
    return found[0][1]


def test_models_loaded_and_process_metrics(traffic):
    s, m = traffic
    assert m.value(PREFIX + "models_loaded") == 1
    assert m.types.get(PREFIX + "models_loaded") == "gauge"
    assert m.find(PREFIX + "open_connections"), m.text
    rss = process_metric(m, "process_resident_memory_bytes")
    assert 1e6 < rss < 4e9, rss
    cpu = process_metric(m, "process_cpu_seconds_total")
    assert cpu >= 0, cpu  # may still be 0: /proc counts 10 ms ticks (growth: test_process_cpu_grows)
    start = process_metric(m, "process_start_time_seconds")
    assert time.time() - 600 < start <= time.time() + 1, start


def test_process_cpu_grows(traffic):
    s, m = traffic
    before = process_metric(m, "process_cpu_seconds_total")
    img = read(DIGIT7)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 1.0:
        assert s.predict(img).status_code == 200
    after = process_metric(scrape(s), "process_cpu_seconds_total")
    assert after > before, (before, after)


def test_models_loaded_follows_registration(start_server):
    s = start_server("--enable-model-api")
    assert scrape(s).value(PREFIX + "models_loaded") == 1
    r = s.management("POST", "/models", params={"url": "convnet.dimodel", "model_name": "second"})
    assert r.status_code == 200, describe(r)
    assert scrape(s).value(PREFIX + "models_loaded") == 2
    assert s.management("DELETE", "/models/second").status_code == 200
    assert poll(lambda: scrape(s).value(PREFIX + "models_loaded") == 1)


def test_metrics_only_on_the_metrics_port(traffic):
    s, _ = traffic
    r = requests.get(s.url() + "/metrics", timeout=TIMEOUT)
    assert r.status_code == 404, describe(r)


def test_parses(traffic):
    s, _ = traffic
    Metrics(s.metrics().text)  # raises on a line that is not Prometheus text
