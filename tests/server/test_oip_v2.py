"""The Open Inference Protocol v2 (REST) on the inference port: health, model metadata, infer with
FP32 tensors and BYTES (base64 images); errors are {"error": "..."}."""
import base64
import json
import re

import numpy as np
import pytest
import requests

from serverlib import DIGIT2, DIGIT7, ROOT, TIMEOUT, TOLERANCE, assert_probabilities, describe, read

OUTPUTS = ("digit", "probabilities", "log_probabilities")


@pytest.fixture(scope="module")
def server(module_server):
    return module_server()


@pytest.fixture(scope="module")
def version(server):
    r = server.management("GET", "/models/convnet")
    assert r.status_code == 200, describe(r)
    return r.json()[0]["modelVersion"]


def library_version():
    m = re.search(r'#define DI_VERSION_STRING "([^"]+)"', (ROOT / "include/digitinfer/version.h").read_text())
    return m.group(1)


def get(server, path):
    return requests.get(server.url() + path, timeout=TIMEOUT)


def infer(server, body, path="/v2/models/convnet/infer"):
    return requests.post(server.url() + path, data=json.dumps(body),
                         headers={"Content-Type": "application/json"}, timeout=TIMEOUT)


def assert_oip_error(r, status):
    assert r.status_code == status, f"expected {status}{describe(r)}"
    assert r.headers.get("Content-Type", "").startswith("application/json"), describe(r)
    body = r.json()
    assert isinstance(body.get("error"), str) and body["error"].strip(), describe(r)
    return body


def flatten(x):
    if isinstance(x, list):
        return [v for item in x for v in flatten(item)]
    return [x]


def outputs_by_name(r):
    assert r.status_code == 200, describe(r)
    j = r.json()
    names = [o["name"] for o in j["outputs"]]
    assert len(names) == len(set(names)), describe(r)
    return j, {o["name"]: o for o in j["outputs"]}


def check_outputs(out, refs, names=OUTPUTS):
    n = len(refs)
    assert set(out) == set(names), out.keys()
    if "digit" in names:
        d = out["digit"]
        assert d["datatype"] == "INT64" and d["shape"] == [n], d
        assert flatten(d["data"]) == [ref["digit"] for ref in refs], d
    for name in ("probabilities", "log_probabilities"):
        if name not in names:
            continue
        o = out[name]
        assert o["datatype"] == "FP32" and o["shape"] == [n, 10], {k: o[k] for k in o if k != "data"}
        values = flatten(o["data"])
        assert len(values) == n * 10
        for i, ref in enumerate(refs):
            got, want = values[i * 10:(i + 1) * 10], ref[name]
            if name == "probabilities":
                assert_probabilities(got, want)
            else:  # large negative log-probabilities: 1e-5 absolute or 1e-5 relative
                for g, w in zip(got, want):
                    assert abs(g - w) <= max(TOLERANCE, 1e-5 * abs(w)), (name, got, want)


def fp32_input(tensors, nested=False):
    batch = np.stack(tensors).astype("<f4")  # [N,1,28,28]
    data = batch.tolist() if nested else [float(v) for v in batch.reshape(-1)]
    return {"name": "input", "shape": list(batch.shape), "datatype": "FP32", "data": data}


# ---------------------------------------------------------------- health and metadata

def test_server_metadata(server):
    r = get(server, "/v2")
    assert r.status_code == 200, describe(r)
    assert r.json() == {"name": "digitinfer-server", "version": library_version(), "extensions": []}


def test_live_and_ready(server):
    r = get(server, "/v2/health/live")
    assert r.status_code == 200 and r.json() == {"live": True}, describe(r)
    r = get(server, "/v2/health/ready")
    assert r.status_code == 200 and r.json() == {"ready": True}, describe(r)


def expected_metadata(version):
    return {"name": "convnet", "versions": [version], "platform": "digitinfer",
            "inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, 1, 28, 28]}],
            "outputs": [{"name": "log_probabilities", "datatype": "FP32", "shape": [-1, 10]},
                        {"name": "probabilities", "datatype": "FP32", "shape": [-1, 10]},
                        {"name": "digit", "datatype": "INT64", "shape": [-1]}]}


def by_name(tensors):
    return sorted(tensors, key=lambda t: t["name"])


def test_model_metadata(server, version):
    want = expected_metadata(version)
    for path in ("/v2/models/convnet", f"/v2/models/convnet/versions/{version}"):
        r = get(server, path)
        assert r.status_code == 200, describe(r)
        got = r.json()
        assert {k: got[k] for k in ("name", "versions", "platform")} == \
            {k: want[k] for k in ("name", "versions", "platform")}, describe(r)
        # Outputs are named: their order is not significant. The BYTES input the contract accepts
        # ("image") may be listed next to the FP32 one.
        assert by_name(got["outputs"]) == by_name(want["outputs"]), describe(r)
        inputs = [i for i in got["inputs"] if i != {"name": "image", "datatype": "BYTES", "shape": [-1]}]
        assert inputs == want["inputs"], describe(r)


def test_model_ready(server, version):
    for path in ("/v2/models/convnet/ready", f"/v2/models/convnet/versions/{version}/ready"):
        r = get(server, path)
        assert r.status_code == 200, describe(r)
        assert r.json() == {"name": "convnet", "ready": True}, describe(r)


def test_unknown_model_metadata_and_ready(server):
    assert_oip_error(get(server, "/v2/models/nosuchmodel"), 404)
    assert_oip_error(get(server, "/v2/models/nosuchmodel/ready"), 404)
    assert_oip_error(get(server, "/v2/models/convnet/versions/9.9"), 404)


# ---------------------------------------------------------------- infer

def test_infer_fp32_one(server, reference, version):
    img = read(DIGIT7)
    r = infer(server, {"id": "one", "inputs": [fp32_input([reference.tensor(img)])]})
    j, out = outputs_by_name(r)
    assert j["model_name"] == "convnet" and j["model_version"] == version and j["id"] == "one", describe(r)
    check_outputs(out, [reference.predict(img)])


def test_infer_fp32_three(server, reference):
    imgs = [read(DIGIT2), read(DIGIT7), read(DIGIT2)]
    r = infer(server, {"id": "three", "inputs": [fp32_input([reference.tensor(i) for i in imgs])]})
    j, out = outputs_by_name(r)
    assert j["id"] == "three"
    check_outputs(out, [reference.predict(i) for i in imgs])


def test_infer_fp32_nested_data(server, reference):
    imgs = [read(DIGIT7), read(DIGIT2)]
    r = infer(server, {"inputs": [fp32_input([reference.tensor(i) for i in imgs], nested=True)]})
    _, out = outputs_by_name(r)
    check_outputs(out, [reference.predict(i) for i in imgs])


def test_infer_requested_output_only(server, reference):
    img = read(DIGIT2)
    r = infer(server, {"id": "x", "inputs": [fp32_input([reference.tensor(img)])],
                       "outputs": [{"name": "probabilities"}]})
    _, out = outputs_by_name(r)
    check_outputs(out, [reference.predict(img)], names=("probabilities",))


def test_infer_version_path(server, reference, version):
    img = read(DIGIT7)
    r = infer(server, {"inputs": [fp32_input([reference.tensor(img)])]},
              path=f"/v2/models/convnet/versions/{version}/infer")
    _, out = outputs_by_name(r)
    check_outputs(out, [reference.predict(img)])


def test_infer_bytes_png(server, reference):
    imgs = [read(DIGIT7), read(DIGIT2)]
    r = infer(server, {"id": "b", "inputs": [{"name": "image", "shape": [2], "datatype": "BYTES",
                                              "data": [base64.b64encode(i).decode() for i in imgs]}]})
    j, out = outputs_by_name(r)
    assert j["id"] == "b"
    check_outputs(out, [reference.predict(i) for i in imgs])


def test_infer_without_id(server, reference):
    img = read(DIGIT2)
    r = infer(server, {"inputs": [fp32_input([reference.tensor(img)])]})
    j, out = outputs_by_name(r)
    assert j.get("id", "") in ("", None) or "id" not in j, describe(r)
    check_outputs(out, [reference.predict(img)])


# ---------------------------------------------------------------- errors

def test_infer_wrong_shape(server, reference):
    t = reference.tensor(read(DIGIT2))
    inp = fp32_input([t])
    inp["shape"] = [1, 1, 28, 27]
    inp["data"] = inp["data"][:28 * 27]
    assert_oip_error(infer(server, {"inputs": [inp]}), 400)
    inp = fp32_input([t])
    inp["shape"] = [1, 784]
    assert_oip_error(infer(server, {"inputs": [inp]}), 400)


def test_infer_data_does_not_match_shape(server, reference):
    inp = fp32_input([reference.tensor(read(DIGIT2))])
    inp["data"] = inp["data"][:-1]
    assert_oip_error(infer(server, {"inputs": [inp]}), 400)
    inp = fp32_input([reference.tensor(read(DIGIT2))])
    inp["shape"] = [2, 1, 28, 28]
    assert_oip_error(infer(server, {"inputs": [inp]}), 400)


@pytest.mark.parametrize("datatype", ["INT32", "FP16", "UINT8", "BOOL", "nonsense"])
def test_infer_wrong_datatype(server, reference, datatype):
    inp = fp32_input([reference.tensor(read(DIGIT2))])
    inp["datatype"] = datatype
    assert_oip_error(infer(server, {"inputs": [inp]}), 400)


def test_infer_unknown_model_and_version(server, reference):
    body = {"inputs": [fp32_input([reference.tensor(read(DIGIT2))])]}
    assert_oip_error(infer(server, body, path="/v2/models/nosuchmodel/infer"), 404)
    assert_oip_error(infer(server, body, path="/v2/models/convnet/versions/9.9/infer"), 404)


@pytest.mark.parametrize("body", [
    "not json",
    "{}",
    '{"inputs": []}',
    '{"inputs": {"name": "input"}}',
    '{"inputs": [{"name": "input", "shape": [1,1,28,28], "datatype": "FP32"}]}',
    '{"inputs": [{"name": "input", "shape": [1,1,28,28], "datatype": "FP32", "data": "abc"}]}',
], ids=["text", "empty", "no-inputs", "not-a-list", "no-data", "string-data"])
def test_infer_malformed_body(server, body):
    r = requests.post(server.url() + "/v2/models/convnet/infer", data=body,
                      headers={"Content-Type": "application/json"}, timeout=TIMEOUT)
    assert_oip_error(r, 400)


def test_infer_unknown_output(server, reference):
    body = {"inputs": [fp32_input([reference.tensor(read(DIGIT2))])], "outputs": [{"name": "nosuchoutput"}]}
    assert_oip_error(infer(server, body), 400)


def test_infer_non_finite(server, reference):
    inp = fp32_input([reference.tensor(read(DIGIT2))])
    inp["data"][100] = 1e39  # beyond float32: infinity once converted
    assert_oip_error(infer(server, {"inputs": [inp]}), 400)


def test_infer_bad_bytes(server):
    for data in (["!!! not base64 !!!"], [base64.b64encode(b"not an image").decode()],
                 [base64.b64encode(read(DIGIT7)[:500]).decode()]):
        r = infer(server, {"inputs": [{"name": "image", "shape": [1], "datatype": "BYTES", "data": data}]})
        assert_oip_error(r, 400)
    r = infer(server, {"inputs": [{"name": "image", "shape": [2], "datatype": "BYTES",
                                   "data": [base64.b64encode(read(DIGIT2)).decode()]}]})  # shape says 2
    assert_oip_error(r, 400)
