"""The management API (its own port): list, describe, register (model API), versions, set-default,
scale, unregister, and what it refuses (path traversal, URLs, corrupt files, duplicates)."""
import shutil

import pytest
import requests

import serverlib
from serverlib import (BAD_REQUEST, CONFLICT, DIGIT2, DIGIT7, METHOD_NOT_ALLOWED, MODEL_NOT_FOUND, NATIVE_MODEL,
                       TIMEOUT, TORCH_MODEL, UNAVAILABLE, VERSION_NOT_FOUND, assert_error, assert_text_digit,
                       describe, read)


@pytest.fixture
def server(start_server):
    return start_server("--enable-model-api", "--batch-size", 4, "--max-batch-delay", 7)


def models(server, **params):
    r = server.management("GET", "/models", params=params)
    assert r.status_code == 200, describe(r)
    assert r.headers.get("Content-Type", "").startswith("application/json"), describe(r)
    return r.json()


def names(server):
    return sorted(m["modelName"] for m in models(server)["models"])


def register(server, **params):
    return server.management("POST", "/models", params=params)


def assert_status_message(r, text):
    assert r.status_code == 200, describe(r)
    assert r.json() == {"status": text}, describe(r)


def assert_predicts(server, reference, model):
    for path in (DIGIT2, DIGIT7):
        img = read(path)
        assert_text_digit(server.predict(img, model=model), reference.predict(img)["digit"])


# ---------------------------------------------------------------- list and describe

def test_list(server):
    assert models(server) == {"models": [{"modelName": "convnet", "modelUrl": "convnet.dimodel"}]}


def test_describe(server):
    for path in ("/models/convnet", "/models/convnet/all"):
        r = server.management("GET", path)
        assert r.status_code == 200, describe(r)
        d = r.json()
        assert isinstance(d, list) and len(d) == 1, describe(r)
        m = d[0]
        assert m["modelName"] == "convnet" and m["modelUrl"] == "convnet.dimodel", m
        assert isinstance(m["modelVersion"], str) and m["modelVersion"], m
        assert m["engine"] == "native" and m["runtime"] == "digitinfer", m
        assert m["batchSize"] == 4 and m["maxBatchDelay"] == 7, m
        assert isinstance(m["minWorkers"], int) and isinstance(m["maxWorkers"], int), m
        assert 1 <= m["minWorkers"] <= m["maxWorkers"], m
        assert isinstance(m["responseTimeout"], (int, float)) and m["responseTimeout"] > 0, m
        assert m["loadedAtStartup"] is True, m
        assert isinstance(m["workers"], list) and len(m["workers"]) >= 1, m
        for w in m["workers"]:
            assert {"id", "startTime", "status", "memoryUsage", "pid", "gpu"} <= set(w), w
            assert w["status"] == "READY" and w["gpu"] is False and w["pid"] == server.pid, w
    version = m["modelVersion"]
    r = server.management("GET", f"/models/convnet/{version}")
    assert r.status_code == 200 and r.json()[0]["modelVersion"] == version, describe(r)


def test_describe_unknown(server):
    assert_error(server.management("GET", "/models/nosuchmodel"), 404, MODEL_NOT_FOUND)
    assert_error(server.management("GET", "/models/convnet/9.9"), 404, VERSION_NOT_FOUND)


def test_model_api_off_by_default(start_server):
    s = start_server()
    r = register(s, url="convnet.dimodel", model_name="again")
    assert_error(r, 405, METHOD_NOT_ALLOWED)
    assert_error(s.management("DELETE", "/models/convnet"), 405, METHOD_NOT_ALLOWED)
    assert [m["modelName"] for m in models(s)["models"]] == ["convnet"]
    # Scaling and describing stay available without the model API.
    assert s.management("GET", "/models/convnet").status_code == 200


# ---------------------------------------------------------------- register, versions, default

def test_register_from_the_store(server, reference):
    shutil.copy(NATIVE_MODEL, server.store / "other.dimodel")
    r = register(server, url="other.dimodel", model_name="other", model_version="3.0", initial_workers=1)
    assert_status_message(r, 'Model "other" Version: 3.0 registered with 1 initial workers')
    assert names(server) == ["convnet", "other"]
    assert_predicts(server, reference, "other")
    assert_predicts(server, reference, "other/3.0")
    d = server.management("GET", "/models/other").json()[0]
    assert d["modelVersion"] == "3.0" and d["modelUrl"] == "other.dimodel" and d["loadedAtStartup"] is False, d


def test_register_with_batch_settings(server):
    r = register(server, url="convnet.dimodel", model_name="batched", batch_size=3, max_batch_delay=11,
                 initial_workers=2)
    assert r.status_code == 200, describe(r)
    assert "2 initial workers" in r.json()["status"], describe(r)
    d = server.management("GET", "/models/batched").json()[0]
    assert d["batchSize"] == 3 and d["maxBatchDelay"] == 11 and len(d["workers"]) == 2, d


def test_second_version_and_set_default(server, reference):
    first = server.management("GET", "/models/convnet").json()[0]["modelVersion"]
    r = register(server, url="convnet.dimodel", model_name="convnet", model_version="2.0")
    assert r.status_code == 200, describe(r)
    workers = len(server.management("GET", "/models/convnet/2.0").json()[0]["workers"])
    assert_status_message(r, f'Model "convnet" Version: 2.0 registered with {workers} initial workers')
    r = server.management("GET", "/models/convnet/all")
    assert r.status_code == 200, describe(r)
    assert sorted(m["modelVersion"] for m in r.json()) == sorted([first, "2.0"]), describe(r)
    assert_predicts(server, reference, "convnet/2.0")
    assert_predicts(server, reference, f"convnet/{first}")
    # The first version stays the default until set-default.
    assert server.management("GET", "/models/convnet").json()[0]["modelVersion"] == first
    r = server.management("PUT", "/models/convnet/2.0/set-default")
    assert_status_message(r, 'Default version successfully updated for model "convnet" to "2.0"')
    assert server.management("GET", "/models/convnet").json()[0]["modelVersion"] == "2.0"
    assert_predicts(server, reference, "convnet")
    assert_error(server.management("PUT", "/models/convnet/9.9/set-default"), 404, VERSION_NOT_FOUND)
    assert_error(server.management("PUT", "/models/nosuchmodel/1.0/set-default"), 404, MODEL_NOT_FOUND)
    # OIP metadata lists both versions.
    r = requests.get(server.url() + "/v2/models/convnet", timeout=TIMEOUT)
    assert sorted(r.json()["versions"]) == sorted([first, "2.0"]), describe(r)


def test_duplicate(server):
    version = server.management("GET", "/models/convnet").json()[0]["modelVersion"]
    r = register(server, url="convnet.dimodel", model_name="convnet", model_version=version)
    assert_error(r, 409, CONFLICT)
    assert names(server) == ["convnet"]


def test_unregister(server, reference):
    shutil.copy(NATIVE_MODEL, server.store / "gone.dimodel")
    assert register(server, url="gone.dimodel", model_name="gone").status_code == 200
    assert_predicts(server, reference, "gone")
    r = server.management("DELETE", "/models/gone")
    assert_status_message(r, 'Model "gone" unregistered')
    assert_error(server.predict(read(DIGIT2), model="gone"), 404, MODEL_NOT_FOUND)
    assert_error(server.management("GET", "/models/gone"), 404, MODEL_NOT_FOUND)
    assert names(server) == ["convnet"]
    assert_error(server.management("DELETE", "/models/gone"), 404, MODEL_NOT_FOUND)
    # The name can be registered again.
    assert register(server, url="gone.dimodel", model_name="gone").status_code == 200
    assert_predicts(server, reference, "gone")


def test_unregister_one_version(server, reference):
    first = server.management("GET", "/models/convnet").json()[0]["modelVersion"]
    assert register(server, url="convnet.dimodel", model_name="convnet", model_version="2.0").status_code == 200
    r = server.management("DELETE", "/models/convnet/2.0")
    assert r.status_code == 200, describe(r)
    assert_error(server.predict(read(DIGIT2), model="convnet/2.0"), 404, VERSION_NOT_FOUND)
    assert_predicts(server, reference, f"convnet/{first}")
    assert_error(server.management("DELETE", "/models/convnet/9.9"), 404, VERSION_NOT_FOUND)


# ---------------------------------------------------------------- scale

def test_scale_to_zero_and_back(server, reference):
    r = server.management("PUT", "/models/convnet", params={"min_worker": 0})
    assert_status_message(r, "Workers scaled to 0 for model: convnet")
    assert_error(server.predict(read(DIGIT2)), 503, UNAVAILABLE)
    d = server.management("GET", "/models/convnet").json()[0]
    assert d["minWorkers"] == 0 and not [w for w in d["workers"] if w["status"] == "READY"], d
    r = server.management("PUT", "/models/convnet", params={"min_worker": 1})
    assert_status_message(r, "Workers scaled to 1 for model: convnet")
    assert_predicts(server, reference, "convnet")
    d = server.management("GET", "/models/convnet").json()[0]
    assert d["minWorkers"] == 1 and len([w for w in d["workers"] if w["status"] == "READY"]) >= 1, d


def test_scale_version_and_bad_values(server):
    version = server.management("GET", "/models/convnet").json()[0]["modelVersion"]
    r = server.management("PUT", f"/models/convnet/{version}", params={"min_worker": 2, "max_worker": 3})
    assert_status_message(r, "Workers scaled to 2 for model: convnet")
    d = server.management("GET", "/models/convnet").json()[0]
    assert d["minWorkers"] == 2 and d["maxWorkers"] == 3, d
    for params in ({"min_worker": -1}, {"min_worker": "abc"}, {"min_worker": 3, "max_worker": 1}):
        assert_error(server.management("PUT", "/models/convnet", params=params), 400, BAD_REQUEST)
    assert_error(server.management("PUT", "/models/nosuchmodel", params={"min_worker": 1}), 404, MODEL_NOT_FOUND)


# ---------------------------------------------------------------- what registration refuses

def test_path_traversal_and_urls_refused(server, tmp_path):
    # Real model files outside the store, so that a server following the path would load them.
    outside = server.store.parent / "x.dimodel"
    shutil.copy(NATIVE_MODEL, outside)
    sub = server.store / "sub"
    sub.mkdir()
    shutil.copy(NATIVE_MODEL, sub / "convnet.dimodel")
    for url in ("../x.dimodel", "..%2Fx.dimodel", "/etc/passwd", str(outside), "sub/convnet.dimodel",
                "./convnet.dimodel", "http://example.com/a.mar", "https://example.com/convnet.dimodel",
                f"file://{outside}", "..", ""):
        r = register(server, url=url, model_name="evil")
        if url == "..%2Fx.dimodel" and r.status_code == 404:  # decoded once: a name with a '%' in it, missing
            body = assert_error(r, 404)
        else:
            body = assert_error(r, 400, BAD_REQUEST)
        assert names(server) == ["convnet"], f"{url!r} loaded something: {body}"


def test_missing_file(server):
    r = register(server, url="nosuchfile.dimodel", model_name="missing")
    assert r.status_code in (400, 404), describe(r)
    assert_error(r, r.status_code)
    assert names(server) == ["convnet"]


def test_missing_url(server):
    assert_error(server.management("POST", "/models"), 400, BAD_REQUEST)


def test_corrupt_model_file(server):
    good = read(NATIVE_MODEL)
    (server.store / "truncated.dimodel").write_bytes(good[:len(good) // 3])
    (server.store / "garbage.dimodel").write_bytes(b"\x00garbage" * 100)
    shutil.copy(serverlib.BAD / "not-an-image.txt", server.store / "text.dimodel")
    for f in ("truncated.dimodel", "garbage.dimodel", "text.dimodel"):
        r = register(server, url=f, model_name=f.split(".")[0])
        body = assert_error(r, 400, BAD_REQUEST)
        assert len(body["message"]) > 10, body
    assert names(server) == ["convnet"]


@pytest.mark.skipif(serverlib.WITH_TORCH, reason="built with libtorch: TorchScript loads")
def test_torchscript_without_libtorch(server):
    shutil.copy(TORCH_MODEL, server.store / "convnet.traced.pt")
    r = register(server, url="convnet.traced.pt", model_name="traced")
    body = assert_error(r, 400, BAD_REQUEST)
    assert "libtorch" in body["message"], body
    assert names(server) == ["convnet"]


@pytest.mark.skipif(not serverlib.WITH_TORCH, reason="built without libtorch")
def test_register_torchscript(server, reference):
    r = register(server, url="convnet.traced.pt", model_name="traced")
    assert r.status_code == 200, describe(r)
    assert_predicts(server, reference, "traced")


# ---------------------------------------------------------------- pagination

def test_pagination(server):
    for name in ("alpha", "beta", "gamma", "delta"):
        assert register(server, url="convnet.dimodel", model_name=name).status_code == 200
    everything = names(server)
    assert everything == sorted(["convnet", "alpha", "beta", "gamma", "delta"])
    seen, token, pages = [], None, 0
    while True:
        params = {"limit": 2}
        if token is not None:
            params["next_page_token"] = token
        page = models(server, **params)
        pages += 1
        assert 1 <= len(page["models"]) <= 2, page
        seen += [m["modelName"] for m in page["models"]]
        token = page.get("nextPageToken")
        if not token:
            break
        assert len(page["models"]) == 2 and pages < 5, page
    assert pages == 3 and sorted(seen) == everything and len(seen) == len(set(seen)), seen
    page = models(server, limit=10)
    assert len(page["models"]) == 5 and "nextPageToken" not in page, page


def test_management_is_not_on_the_inference_port(server):
    r = requests.get(server.url() + "/models", timeout=TIMEOUT)
    assert_error(r, 404)
    r = server.management("PUT", "/predictions/convnet", data=read(DIGIT2))
    assert r.status_code in (404, 405), describe(r)


def test_ping_unhealthy_without_models(server, reference):
    r = server.management("DELETE", "/models/convnet")
    assert r.status_code == 200, describe(r)
    r = requests.get(server.url() + "/ping", timeout=TIMEOUT)
    assert r.status_code == 500 and r.json() == {"status": "Unhealthy"}, describe(r)
    r = requests.get(server.url() + "/v2/health/ready", timeout=TIMEOUT)
    assert r.status_code == 503 and r.json() == {"ready": False}, describe(r)
    r = requests.get(server.url() + "/v2/health/live", timeout=TIMEOUT)
    assert r.status_code == 200 and r.json() == {"live": True}, describe(r)
    assert models(server) == {"models": []}
    # Registering a model makes it healthy again.
    assert register(server, url="convnet.dimodel", model_name="convnet").status_code == 200
    r = requests.get(server.url() + "/ping", timeout=TIMEOUT)
    assert r.status_code == 200 and r.json() == {"status": "Healthy"}, describe(r)
    assert_predicts(server, reference, "convnet")
