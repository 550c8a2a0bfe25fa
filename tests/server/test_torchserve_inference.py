"""The TorchServe inference API: /predictions/{model}[/{version}] with the raw image (curl -T,
--data-binary) or a multipart part `data`/`file`; ?topk, JSON output; /ping; GET /."""
import shutil
import subprocess

import pytest
import requests

import serverlib
from serverlib import (DIGIT2, DIGIT7, TIMEOUT, assert_probabilities, assert_text_digit, connect, describe,
                       http_request, read, read_response, top_k)

IMAGES = [DIGIT2, DIGIT7]
IDS = [p.name for p in IMAGES]


@pytest.fixture(scope="module")
def server(module_server):
    return module_server()


def version_of(server, model="convnet"):
    r = server.management("GET", f"/models/{model}")
    assert r.status_code == 200, describe(r)
    return r.json()[0]["modelVersion"]


@pytest.mark.parametrize("path", IMAGES, ids=IDS)
def test_put_raw_body(server, reference, path):
    data = read(path)
    r = requests.put(server.url() + "/predictions/convnet", data=data, timeout=TIMEOUT)
    assert_text_digit(r, reference.predict(data)["digit"])


@pytest.mark.parametrize("path", IMAGES, ids=IDS)
def test_post_data_binary(server, reference, path):
    # curl --data-binary @file sends Content-Type: application/x-www-form-urlencoded; the body is still the image.
    data = read(path)
    r = requests.post(server.url() + "/predictions/convnet", data=data,
                      headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=TIMEOUT)
    assert_text_digit(r, reference.predict(data)["digit"])


@pytest.mark.parametrize("path", IMAGES, ids=IDS)
def test_post_octet_stream_and_image_png(server, reference, path):
    data = read(path)
    for ctype in ("application/octet-stream", "image/png"):
        r = requests.post(server.url() + "/predictions/convnet", data=data, headers={"Content-Type": ctype},
                          timeout=TIMEOUT)
        assert_text_digit(r, reference.predict(data)["digit"])


@pytest.mark.parametrize("part", ["data", "file"])
@pytest.mark.parametrize("path", IMAGES, ids=IDS)
def test_multipart_part(server, reference, path, part):
    data = read(path)
    r = requests.post(server.url() + "/predictions/convnet", files={part: (path.name, data, "image/png")},
                      timeout=TIMEOUT)
    assert_text_digit(r, reference.predict(data)["digit"])


def test_curl_upload_and_data_binary(server, reference):
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("no curl")
    for path in IMAGES:
        expected = str(reference.predict(read(path))["digit"])
        for how in (["-T", str(path)], ["--data-binary", f"@{path}"]):
            p = subprocess.run([curl, "-sS", "--max-time", "10", "-w", "\n%{http_code}", *how,
                                server.url() + "/predictions/convnet"], capture_output=True, timeout=15)
            body, _, code = p.stdout.decode().rpartition("\n")
            assert p.returncode == 0 and code == "200" and body == expected, (how, p)


def test_expect_100_continue(server, reference):
    # What curl sends for large uploads: headers with Expect: 100-continue, the body after "100 Continue"
    # (or after a short wait if the server sends nothing, as curl does).
    data = read(DIGIT7)
    with connect(server.port()) as s:
        s.sendall(http_request("PUT", "/predictions/convnet", headers={
            "Content-Length": str(len(data)), "Expect": "100-continue"}))
        leftover = b""
        try:
            first, leftover = read_response(s, timeout=1.0)
        except OSError:
            first = None  # no interim response: send the body anyway
        if first is not None and first.status != 100:
            raise AssertionError(f"expected 100 Continue or nothing before the body, got {first!r}")
        s.sendall(data)
        resp, _ = read_response(s, timeout=5.0, buffered=leftover)
    assert resp is not None and resp.status == 200, resp
    assert resp.body.decode() == str(reference.predict(data)["digit"]), resp


def test_chunked_upload(server, reference):
    data = read(DIGIT7)

    def chunks():
        for i in range(0, len(data), 1000):
            yield data[i:i + 1000]

    r = requests.put(server.url() + "/predictions/convnet", data=chunks(), timeout=TIMEOUT)
    assert r.request.headers.get("Transfer-Encoding") == "chunked"
    assert_text_digit(r, reference.predict(data)["digit"])


def test_topk_3(server, reference):
    data = read(DIGIT7)
    ref = reference.predict(data)
    r = requests.put(server.url() + "/predictions/convnet?topk=3", data=data, timeout=TIMEOUT)
    assert r.status_code == 200, describe(r)
    assert r.headers.get("Content-Type", "").startswith("application/json"), describe(r)
    got = r.json(object_pairs_hook=list)  # keeps the order of the keys
    expected = top_k(ref["probabilities"], 3)
    assert [k for k, _ in got] == [str(i) for i, _ in expected], describe(r)
    assert_probabilities([v for _, v in got], [p for _, p in expected])
    values = [v for _, v in got]
    assert values == sorted(values, reverse=True)


@pytest.mark.parametrize("k", [1, 10])
def test_topk_bounds(server, reference, k):
    data = read(DIGIT2)
    ref = reference.predict(data)
    r = requests.put(server.url() + f"/predictions/convnet?topk={k}", data=data, timeout=TIMEOUT)
    assert r.status_code == 200, describe(r)
    got = r.json(object_pairs_hook=list)
    assert [key for key, _ in got] == [str(i) for i, _ in top_k(ref["probabilities"], k)], describe(r)
    if k == 10:
        assert abs(sum(v for _, v in got) - 1.0) < 1e-4


def check_prediction_json(r, ref, topk=0):
    assert r.status_code == 200, describe(r)
    assert r.headers.get("Content-Type", "").startswith("application/json"), describe(r)
    j = r.json()
    assert j["digit"] == ref["digit"], describe(r)
    assert j["label"] == str(ref["digit"]), describe(r)  # the bundled model's labels are "0".."9"
    assert_probabilities(j["probabilities"], ref["probabilities"])
    assert abs(j["probability"] - ref["probabilities"][ref["digit"]]) <= serverlib.TOLERANCE
    assert j["probability"] == j["probabilities"][j["digit"]]
    if topk:
        expected = top_k(ref["probabilities"], topk)
        assert [t["digit"] for t in j["top_k"]] == [i for i, _ in expected], describe(r)
        assert [t["label"] for t in j["top_k"]] == [str(i) for i, _ in expected]
        assert_probabilities([t["probability"] for t in j["top_k"]], [p for _, p in expected])
    else:
        assert "top_k" not in j, describe(r)
    return j


@pytest.mark.parametrize("path", IMAGES, ids=IDS)
def test_accept_json(server, reference, path):
    data = read(path)
    r = requests.put(server.url() + "/predictions/convnet", data=data, headers={"Accept": "application/json"},
                     timeout=TIMEOUT)
    check_prediction_json(r, reference.predict(data))


@pytest.mark.parametrize("path", IMAGES, ids=IDS)
def test_format_json(server, reference, path):
    data = read(path)
    r = requests.post(server.url() + "/predictions/convnet?format=json", data=data, timeout=TIMEOUT)
    check_prediction_json(r, reference.predict(data))


def test_format_json_with_topk(server, reference):
    data = read(DIGIT7)
    r = requests.post(server.url() + "/predictions/convnet?format=json&topk=3", data=data, timeout=TIMEOUT)
    check_prediction_json(r, reference.predict(data), topk=3)


def test_drawing_page_posts_png_with_format_json(server, reference):
    # What the page of GET / sends: a PNG of the drawing as a multipart or raw body, ?format=json.
    data = read(DIGIT2)
    r = requests.post(server.url() + "/predictions/convnet?format=json", data=data,
                      headers={"Content-Type": "image/png"}, timeout=TIMEOUT)
    check_prediction_json(r, reference.predict(data))


def test_version_path(server, reference):
    version = version_of(server)
    data = read(DIGIT7)
    r = requests.put(server.url() + f"/predictions/convnet/{version}", data=data, timeout=TIMEOUT)
    assert_text_digit(r, reference.predict(data)["digit"])


def test_ping(server):
    r = requests.get(server.url() + "/ping", timeout=TIMEOUT)
    assert r.status_code == 200, describe(r)
    assert r.headers.get("Content-Type", "").startswith("application/json"), describe(r)
    assert r.json() == {"status": "Healthy"}


def test_drawing_page(server):
    r = requests.get(server.url() + "/", timeout=TIMEOUT)
    assert r.status_code == 200, describe(r)
    assert r.headers.get("Content-Type", "").startswith("text/html"), describe(r)
    assert "<html" in r.text.lower() and "/predictions/" in r.text, describe(r)
    r = requests.get(server.url() + "/?model=convnet", timeout=TIMEOUT)
    assert r.status_code == 200 and r.headers.get("Content-Type", "").startswith("text/html"), describe(r)


def test_bundled_model_is_convnet_1_0(start_server, store, reference):
    # No --models: the bundled model (DIGITINFER_MODEL) is served as convnet, version 1.0.
    s = start_server(models=None, env={"DIGITINFER_MODEL": str(store / "convnet.dimodel")})
    data = read(DIGIT2)
    assert_text_digit(s.predict(data), reference.predict(data)["digit"])
    assert_text_digit(s.predict(data, model="convnet/1.0"), reference.predict(data)["digit"])
    r = s.management("GET", "/models/convnet")
    assert r.status_code == 200 and r.json()[0]["modelVersion"] == "1.0", describe(r)


@pytest.mark.skipif(not serverlib.WITH_TORCH, reason="built without libtorch (DIGITINFER_WITH_TORCH off)")
def test_torchscript_model(start_server, reference):
    s = start_server(models="traced=convnet.traced.pt")
    for path in IMAGES:
        data = read(path)
        r = s.predict(data, model="traced", params={"format": "json"})
        check_prediction_json(r, reference.predict(data))


def test_several_models(start_server, reference, store):
    shutil.copy(store / "convnet.dimodel", store / "second.dimodel")
    s = start_server(models="convnet=convnet.dimodel,second=second.dimodel", store=store)
    for model in ("convnet", "second"):
        for path in IMAGES:
            data = read(path)
            assert_text_digit(s.predict(data, model=model), reference.predict(data)["digit"])
    r = s.management("GET", "/models")
    assert sorted(m["modelName"] for m in r.json()["models"]) == ["convnet", "second"], describe(r)


def test_models_all_names_by_stem(start_server, reference, tmp_path):
    store = tmp_path / "only-native"
    store.mkdir()
    for name in ("mnist", "digits"):
        shutil.copy(serverlib.NATIVE_MODEL, store / f"{name}.dimodel")
    s = start_server(models="all", store=store)
    r = s.management("GET", "/models")
    assert r.status_code == 200, describe(r)
    assert sorted(m["modelName"] for m in r.json()["models"]) == ["digits", "mnist"], describe(r)
    data = read(DIGIT7)
    for model in ("mnist", "digits"):
        assert_text_digit(s.predict(data, model=model), reference.predict(data)["digit"])
