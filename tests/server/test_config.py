"""Configuration: config.properties, flags over the file, PORT, token auth and its key file, --help,
startup failures, and the access log."""
import json
import os
import re
import shutil
import socket
import stat
import subprocess

import pytest
import requests

import serverlib
from serverlib import (BINARY, DIGIT2, DIGIT7, INVALID_KEY, MODEL_NOT_FOUND, NATIVE_MODEL, TIMEOUT, TOKEN_MESSAGE,
                       assert_error, assert_text_digit, describe, free_port, poll, read)

# Every flag of the contract's "Start" section.
FLAGS = ["--model-store", "--models", "--model", "--ts-config", "--inference-address", "--management-address",
         "--metrics-address", "--batch-size", "--max-batch-delay", "--workers", "--io-threads",
         "--max-request-size", "--max-connections", "--read-timeout", "--write-timeout", "--keep-alive-timeout",
         "--shutdown-timeout", "--enable-model-api", "--disable-token-auth", "--enable-token-auth", "--key-file",
         "--access-log", "--log-level", "--engine", "--output-kind", "--max-pixels", "--max-encoded-bytes",
         "--threads"]


def write_config(path, **keys):
    lines = ["# written by tests/server/test_config.py", ""]
    lines += [f"{k}={v}" for k, v in keys.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def native_store(directory, *names):
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(NATIVE_MODEL, directory / f"{name}.dimodel")
    return directory


def describe_model(s, name):
    r = s.management("GET", f"/models/{name}")
    assert r.status_code == 200, describe(r)
    return r.json()[0]


def run_binary(*args, timeout=15, env=None):
    if BINARY is None:
        pytest.skip("no digitinfer-server binary")
    e = dict(os.environ)
    e.pop("PORT", None)
    e.update(env or {})
    return subprocess.run([str(BINARY), *map(str, args)], capture_output=True, timeout=timeout, env=e,
                          stdin=subprocess.DEVNULL)


# ---------------------------------------------------------------- --help, bad flags, startup failures

def test_help_lists_every_flag():
    p = run_binary("--help")
    out = p.stdout.decode() + p.stderr.decode()
    assert p.returncode == 0, out
    missing = [f for f in FLAGS if not re.search(re.escape(f) + r"(?![\w-])", out)]
    assert not missing, f"--help does not list {missing}\n{out}"


def test_unknown_flag_fails():
    p = run_binary("--no-such-flag")
    assert p.returncode != 0
    assert b"--no-such-flag" in p.stdout + p.stderr, p


@pytest.mark.parametrize("args", [["--batch-size", "0"], ["--batch-size", "abc"], ["--max-batch-delay", "-1"],
                                  ["--inference-address", "not-an-address"], ["--workers", "-2"]],
                         ids=["batch-0", "batch-abc", "delay-negative", "bad-address", "workers-negative"])
def test_bad_values_fail(args, tmp_path):
    store = native_store(tmp_path / "store", "convnet")
    addresses = [] if "--inference-address" in args else ["--inference-address", "http://127.0.0.1:0"]
    p = run_binary("--model-store", store, "--models", "convnet=convnet.dimodel", "--management-address",
                   "http://127.0.0.1:0", "--metrics-address", "http://127.0.0.1:0", *addresses, *args, timeout=10)
    assert p.returncode != 0, p
    assert p.stderr.strip(), "no message on stderr"


def test_missing_model_file_fails_at_startup(tmp_path):
    store = native_store(tmp_path / "store")
    p = run_binary("--model-store", store, "--models", "convnet=nosuchfile.dimodel", "--inference-address",
                   "http://127.0.0.1:0", "--management-address", "http://127.0.0.1:0", "--metrics-address",
                   "http://127.0.0.1:0")
    assert p.returncode != 0
    assert b"nosuchfile" in p.stderr + p.stdout, p
    assert b"digitinfer-server: ready" not in p.stdout


@pytest.mark.skipif(serverlib.WITH_TORCH, reason="built with libtorch: TorchScript loads")
def test_torchscript_at_startup_without_libtorch(tmp_path):
    store = native_store(tmp_path / "store")
    shutil.copy(serverlib.TORCH_MODEL, store / "convnet.traced.pt")
    p = run_binary("--model-store", store, "--models", "traced=convnet.traced.pt", "--inference-address",
                   "http://127.0.0.1:0", "--management-address", "http://127.0.0.1:0", "--metrics-address",
                   "http://127.0.0.1:0")
    assert p.returncode != 0, p
    assert b"libtorch" in p.stderr + p.stdout, p
    assert b"digitinfer-server: ready" not in p.stdout


def test_port_in_use_fails_at_startup(tmp_path):
    store = native_store(tmp_path / "store", "convnet")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        p = run_binary("--model-store", store, "--models", "convnet=convnet.dimodel", "--inference-address",
                       f"http://127.0.0.1:{port}", "--management-address", "http://127.0.0.1:0",
                       "--metrics-address", "http://127.0.0.1:0")
    assert p.returncode != 0
    assert str(port).encode() in p.stderr + p.stdout, p
    assert b"digitinfer-server: ready" not in p.stdout


# ---------------------------------------------------------------- config.properties

def test_config_file(start_server, tmp_path, reference):
    store = native_store(tmp_path / "cfgstore", "mnist")
    cfg = write_config(tmp_path / "config.properties",
                       inference_address="http://127.0.0.1:0", management_address="http://127.0.0.1:0",
                       metrics_address="http://127.0.0.1:0", model_store=store, load_models="all",
                       batch_size=3, max_batch_delay=7, some_unknown_key="is only a warning")
    s = start_server("--ts-config", cfg, models=None, addresses=False, store=False)
    assert set(s.ports) >= {"inference", "management", "metrics"}, s.stdout()
    img = read(DIGIT7)
    assert_text_digit(s.predict(img, model="mnist"), reference.predict(img)["digit"])
    assert_error(s.predict(img, model="convnet"), 404, MODEL_NOT_FOUND)
    d = describe_model(s, "mnist")
    assert d["batchSize"] == 3 and d["maxBatchDelay"] == 7, d
    assert "some_unknown_key" in s.stdout() + s.stderr(), "no warning about the unknown key"


def test_config_alias_and_model_api_key(start_server, tmp_path):
    store = native_store(tmp_path / "cfgstore", "convnet")
    cfg = write_config(tmp_path / "config.properties", model_store=store, load_models="convnet=convnet.dimodel",
                       enable_model_api="true")
    s = start_server("--config", cfg, models=None, store=False)
    r = s.management("POST", "/models", params={"url": "convnet.dimodel", "model_name": "second"})
    assert r.status_code == 200, describe(r)


def test_flags_override_the_file(start_server, tmp_path):
    store = native_store(tmp_path / "cfgstore", "mnist")
    with socket.socket() as taken:  # the file's inference port is busy: the server must not use it
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        busy = taken.getsockname()[1]
        cfg = write_config(tmp_path / "config.properties",
                           inference_address=f"http://127.0.0.1:{busy}", management_address="http://127.0.0.1:0",
                           metrics_address="http://127.0.0.1:0", model_store=store, load_models="all",
                           batch_size=3, max_batch_delay=7)
        s = start_server("--ts-config", cfg, "--inference-address", "http://127.0.0.1:0", "--batch-size", 5,
                         models=None, addresses=False, store=False)
        assert s.port("inference") != busy
        d = describe_model(s, "mnist")
        assert d["batchSize"] == 5 and d["maxBatchDelay"] == 7, d


def test_port_env(start_server, reference):
    port = free_port()
    s = start_server("--management-address", "http://127.0.0.1:0", "--metrics-address", "http://127.0.0.1:0",
                     addresses=False, env={"PORT": str(port)})
    assert s.port("inference") == port, s.stdout()
    assert s.hosts["inference"] == "0.0.0.0", s.stdout()
    img = read(DIGIT2)
    r = requests.put(f"http://127.0.0.1:{port}/predictions/convnet", data=img, timeout=TIMEOUT)
    assert_text_digit(r, reference.predict(img)["digit"])


def test_inference_address_beats_port_env(start_server):
    port = free_port()
    s = start_server(env={"PORT": str(port)})
    assert s.port("inference") != port and s.hosts["inference"] == "127.0.0.1", s.stdout()


# ---------------------------------------------------------------- token auth

@pytest.fixture
def auth_server(start_server, tmp_path):
    key_file = tmp_path / "key_file.json"
    s = start_server("--enable-token-auth", "--key-file", key_file)
    return s, key_file


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


def test_key_file(auth_server):
    _, key_file = auth_server
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600, oct(key_file.stat().st_mode)
    keys = json.loads(key_file.read_text())
    assert set(keys) == {"management", "inference", "API"}, keys
    for section in ("management", "inference", "API"):
        assert isinstance(keys[section]["key"], str) and len(keys[section]["key"]) >= 8, keys
    for section in ("management", "inference"):
        assert isinstance(keys[section]["expiration time"], str) and keys[section]["expiration time"], keys
    assert len({keys[s]["key"] for s in ("management", "inference", "API")}) == 3, "keys are not distinct"


def assert_401(r):
    body = assert_error(r, 401, INVALID_KEY)
    assert body["message"] == TOKEN_MESSAGE, body


def test_inference_needs_the_inference_key(auth_server, reference):
    s, key_file = auth_server
    keys = json.loads(key_file.read_text())
    img = read(DIGIT7)
    assert_401(s.predict(img))
    assert_401(s.predict(img, headers=bearer("wrong")))
    assert_401(s.predict(img, headers=bearer(keys["management"]["key"])))
    assert_401(s.predict(img, headers={"Authorization": keys["inference"]["key"]}))  # no "Bearer"
    assert_text_digit(s.predict(img, headers=bearer(keys["inference"]["key"])), reference.predict(img)["digit"])
    t = reference.tensor(img)
    files = {"metadata": ("metadata", json.dumps({"dims": [1, 28, 28]}), "application/json"),
             "data": ("data", t.tobytes(), "application/octet-stream")}
    assert_401(requests.post(s.url() + "/test", files=files, timeout=TIMEOUT))
    r = requests.post(s.url() + "/test", files=files, headers=bearer(keys["inference"]["key"]), timeout=TIMEOUT)
    assert_text_digit(r, reference.predict(img)["digit"])
    r = requests.get(s.url() + "/v2/models/convnet", timeout=TIMEOUT)
    assert r.status_code == 401, describe(r)


def test_management_needs_the_management_key(auth_server):
    s, key_file = auth_server
    keys = json.loads(key_file.read_text())
    assert_401(s.management("GET", "/models"))
    assert_401(s.management("GET", "/models", headers=bearer("wrong")))
    assert_401(s.management("GET", "/models", headers=bearer(keys["inference"]["key"])))
    r = s.management("GET", "/models", headers=bearer(keys["management"]["key"]))
    assert r.status_code == 200 and r.json()["models"][0]["modelName"] == "convnet", describe(r)


def test_metrics_need_no_key(auth_server):
    s, _ = auth_server
    r = s.metrics()
    assert r.status_code == 200 and "digitinfer_" in r.text, describe(r)


def test_token_auth_from_config(start_server, tmp_path, reference):
    store = native_store(tmp_path / "cfgstore", "convnet")
    cfg = write_config(tmp_path / "config.properties", model_store=store, load_models="convnet=convnet.dimodel",
                       disable_token_authorization="false")
    key_file = tmp_path / "keys.json"
    s = start_server("--ts-config", cfg, "--key-file", key_file, models=None, store=False)
    img = read(DIGIT2)
    assert_401(s.predict(img))
    key = json.loads(key_file.read_text())["inference"]["key"]
    assert_text_digit(s.predict(img, headers=bearer(key)), reference.predict(img)["digit"])


def test_token_auth_off_by_default(start_server, tmp_path, reference):
    s = start_server()
    img = read(DIGIT2)
    assert_text_digit(s.predict(img), reference.predict(img)["digit"])
    assert s.management("GET", "/models").status_code == 200
    assert not (s.workdir / "key_file.json").exists(), "a key file was written with token auth off"


def test_disable_token_auth_beats_config(start_server, tmp_path, reference):
    store = native_store(tmp_path / "cfgstore", "convnet")
    cfg = write_config(tmp_path / "config.properties", model_store=store, load_models="convnet=convnet.dimodel",
                       disable_token_authorization="false")
    s = start_server("--ts-config", cfg, "--disable-token-auth", "--key-file", tmp_path / "k.json",
                     models=None, store=False)
    img = read(DIGIT2)
    assert_text_digit(s.predict(img), reference.predict(img)["digit"])


# ---------------------------------------------------------------- access log

def test_access_log(start_server, tmp_path, reference):
    log = tmp_path / "access.log"
    s = start_server("--access-log", log)
    img = read(DIGIT7)
    sent = []
    r = s.predict(img, method="POST")
    assert r.status_code == 200
    sent.append(("POST", "/predictions/convnet", 200, len(img), len(r.content)))
    r = requests.get(s.url() + "/ping", timeout=TIMEOUT)
    sent.append(("GET", "/ping", 200, 0, len(r.content)))
    r = requests.get(s.url() + "/nope?x=1", timeout=TIMEOUT)
    sent.append(("GET", "/nope?x=1", 404, 0, len(r.content)))
    r = s.predict(b"junk", model="convnet")
    sent.append(("PUT", "/predictions/convnet", 400, 4, len(r.content)))

    def lines():
        try:
            return [ln for ln in log.read_text().splitlines() if ln.strip()]
        except OSError:
            return []

    got = poll(lambda: len(lines()) >= len(sent) and lines(), timeout=3)
    assert got, f"access log has {len(lines())} lines, expected {len(sent)}:\n{lines()}"
    assert len(got) == len(sent), got
    for line, (method, target, status, bytes_in, bytes_out) in zip(got, sent):
        entry = json.loads(line)
        assert entry["method"] == method and entry["target"] == target and entry["status"] == status, entry
        assert entry["remote"].startswith("127.0.0.1:"), entry
        assert entry["time"].endswith("Z") and "T" in entry["time"], entry
        assert isinstance(entry["duration_ms"], (int, float)) and entry["duration_ms"] >= 0, entry
        # bytes_in: the body, or the whole request with its header (the contract does not say which).
        assert bytes_in <= entry["bytes_in"] <= bytes_in + 1024, (entry, bytes_in)
        assert entry["bytes_out"] == bytes_out, (entry, bytes_out)
    assert json.loads(got[0]).get("model") == "convnet", got[0]
    # Nothing but access-log lines in the file.
    assert all(json.loads(x) for x in got)


def test_model_flag_absolute_path(start_server, tmp_path, reference):
    model = native_store(tmp_path / "elsewhere", "digits") / "digits.dimodel"
    s = start_server("--model", model, models=None, store=False)
    r = s.management("GET", "/models")
    assert r.status_code == 200, describe(r)
    served = [m["modelName"] for m in r.json()["models"]]
    assert len(served) == 1, describe(r)
    img = read(DIGIT7)
    assert_text_digit(s.predict(img, model=served[0]), reference.predict(img)["digit"])
