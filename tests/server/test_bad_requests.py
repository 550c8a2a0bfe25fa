"""Every bad request gets the right status and the contract's JSON error {code, type, message}, and
the server keeps serving afterwards. The tests of this module share one server, on purpose: the last
test checks that it still answers a good request after all of them."""
import json
import time

import numpy as np
import pytest
import requests

from serverlib import (BAD, BAD_REQUEST, DIGIT2, DIGIT7, METHOD_NOT_ALLOWED, MODEL_NOT_FOUND, RESOURCE_NOT_FOUND,
                       TIMEOUT, TOO_LARGE, UNSUPPORTED_MEDIA, VERSION_NOT_FOUND, assert_error, assert_text_digit,
                       bomb_png, connect, gray_png, http_request, raw_exchange, read, read_response, wait_closed)

MAX_REQUEST = 200_000
DIMS = json.dumps({"dims": [1, 28, 28]})


@pytest.fixture(scope="module")
def server(module_server):
    return module_server("--max-request-size", MAX_REQUEST)


@pytest.fixture(scope="module")
def tensor(reference):
    return reference.tensor(read(DIGIT2))


def flask(server, files):
    return requests.post(server.url() + "/test", files=files, timeout=TIMEOUT)


def meta(obj):
    return ("metadata", obj if isinstance(obj, str) else json.dumps(obj), "application/json")


def data(raw):
    return ("data", raw, "application/octet-stream")


# ---------------------------------------------------------------- POST /test

def test_flask_missing_data_part(server):
    assert_error(flask(server, {"metadata": meta({"dims": [1, 28, 28]})}), 400, BAD_REQUEST)


def test_flask_missing_metadata_part(server, tensor):
    assert_error(flask(server, {"data": data(tensor.tobytes())}), 400, BAD_REQUEST)


def test_flask_misnamed_part(server, tensor):
    assert_error(flask(server, {"metadata": meta({"dims": [1, 28, 28]}),
                                "tensor": data(tensor.tobytes())}), 400, BAD_REQUEST)
    assert_error(flask(server, {"meta": meta({"dims": [1, 28, 28]}),
                                "data": data(tensor.tobytes())}), 400, BAD_REQUEST)


@pytest.mark.parametrize("dims", [[1, 28, 27], [3, 28, 28], [1, 32, 32], [28, 28, 1], [784]],
                         ids=lambda d: "x".join(map(str, d)))
def test_flask_dims_not_the_models_shape(server, dims):
    # The byte count matches the dims: only the shape is wrong.
    raw = np.zeros(int(np.prod(dims)), dtype="<f4").tobytes()
    assert_error(flask(server, {"metadata": meta({"dims": dims}), "data": data(raw)}), 400, BAD_REQUEST)


@pytest.mark.parametrize("nbytes", [0, 3132, 3135, 3137, 3140, 6272])
def test_flask_byte_count_not_dims(server, tensor, nbytes):
    raw = (tensor.tobytes() * 2)[:nbytes]
    assert_error(flask(server, {"metadata": meta({"dims": [1, 28, 28]}), "data": data(raw)}), 400, BAD_REQUEST)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")], ids=["nan", "inf", "-inf"])
def test_flask_non_finite_floats(server, tensor, value):
    t = tensor.copy()
    t[0, 14, 14] = value
    assert_error(flask(server, {"metadata": meta({"dims": [1, 28, 28]}), "data": data(t.tobytes())}),
                 400, BAD_REQUEST)


@pytest.mark.parametrize("metadata", ["not json", "{}", '{"dims": "1,28,28"}', '{"dims": [1, 28.5, 28]}',
                                      '{"dims": [1, -28, -28]}', "[1, 28, 28]", '{"dims": [1, 28, 28]'],
                         ids=["text", "no-dims", "string", "fraction", "negative", "array", "truncated"])
def test_flask_bad_metadata(server, tensor, metadata):
    assert_error(flask(server, {"metadata": meta(metadata), "data": data(tensor.tobytes())}), 400, BAD_REQUEST)


def test_flask_not_multipart(server, tensor):
    r = requests.post(server.url() + "/test", data=tensor.tobytes(),
                      headers={"Content-Type": "application/octet-stream"}, timeout=TIMEOUT)
    if r.status_code == 415:
        assert_error(r, 415, UNSUPPORTED_MEDIA)
    else:
        assert_error(r, 400, BAD_REQUEST)


def test_flask_broken_multipart(server, tensor):
    body = b"--XYZ\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n" + DIMS.encode() + b"\r\n--XYZ\r\n"
    body += b"Content-Disposition: form-data; name=\"data\"\r\n\r\n" + tensor.tobytes()  # never closed
    r = requests.post(server.url() + "/test", data=body,
                      headers={"Content-Type": "multipart/form-data; boundary=XYZ"}, timeout=TIMEOUT)
    assert_error(r, 400, BAD_REQUEST)
    r = requests.post(server.url() + "/test", data=b"hello",
                      headers={"Content-Type": "multipart/form-data"}, timeout=TIMEOUT)  # no boundary
    assert_error(r, 400, BAD_REQUEST)


# ---------------------------------------------------------------- /predictions bodies

def predict(server, body, **kw):
    return requests.put(server.url() + "/predictions/convnet", data=body, timeout=TIMEOUT, **kw)


def test_empty_body(server):
    assert_error(predict(server, b""), 400, BAD_REQUEST)
    r = requests.post(server.url() + "/predictions/convnet", timeout=TIMEOUT)  # no body, no Content-Length
    assert_error(r, 400, BAD_REQUEST)


@pytest.mark.parametrize("name", ["not-an-image.txt", "truncated.png", "corrupt.png", "random.bin",
                                  "zero-width.bmp", "huge-dims.png", "truncated.jpg", "empty.png"])
def test_bad_image_files(server, name):
    body = assert_error(predict(server, read(BAD / name)), 400, BAD_REQUEST)
    assert len(body["message"]) > 5


def test_truncated_example_png(server):
    whole = read(DIGIT7)
    assert_error(predict(server, whole[:len(whole) // 2]), 400, BAD_REQUEST)


def test_text_body(server):
    assert_error(predict(server, b"hello, this is not an image", headers={"Content-Type": "text/plain"}),
                 400, BAD_REQUEST)


def test_decompression_bomb(server):
    bomb = bomb_png(30000, 30000)
    assert len(bomb) < 5000
    before = server.rss_peak_kib()
    t0 = time.monotonic()
    body = assert_error(predict(server, bomb), 400, BAD_REQUEST)
    assert time.monotonic() - t0 < 5, "refusing a bomb must not take long"
    after = server.rss_peak_kib()
    if before is not None and after is not None:
        # 30000 x 30000 gray is 900 MB: the server must refuse it from the header, not allocate it.
        assert after - before < 200 * 1024, f"peak RSS grew from {before} to {after} KiB ({body})"
    # The same through multipart.
    r = requests.post(server.url() + "/predictions/convnet", files={"data": ("bomb.png", bomb, "image/png")},
                      timeout=TIMEOUT)
    assert_error(r, 400, BAD_REQUEST)


def test_multipart_without_data_or_file_part(server):
    r = requests.post(server.url() + "/predictions/convnet", files={"image": ("d.png", read(DIGIT2), "image/png")},
                      timeout=TIMEOUT)
    assert_error(r, 400, BAD_REQUEST)


@pytest.mark.parametrize("k", ["0", "11", "-1", "abc", ""])
def test_bad_topk(server, k):
    assert_error(predict(server, read(DIGIT2), params={"topk": k}), 400, BAD_REQUEST)


# ---------------------------------------------------------------- names, paths, methods

def test_unknown_model(server):
    r = requests.put(server.url() + "/predictions/nosuchmodel", data=read(DIGIT2), timeout=TIMEOUT)
    body = assert_error(r, 404, MODEL_NOT_FOUND)
    assert "nosuchmodel" in body["message"]


def test_unknown_version(server):
    r = requests.put(server.url() + "/predictions/convnet/9.9", data=read(DIGIT2), timeout=TIMEOUT)
    body = assert_error(r, 404, VERSION_NOT_FOUND)
    assert "9.9" in body["message"]


@pytest.mark.parametrize("path", ["/nope", "/predictions", "/v3/models", "/test/extra", "/models"])
def test_unknown_path(server, path):
    r = requests.get(server.url() + path, timeout=TIMEOUT)
    if r.status_code == 405:  # a known path with another method (e.g. GET /predictions) may be 405
        assert_error(r, 405, METHOD_NOT_ALLOWED)
        assert path in ("/predictions",)
    else:
        assert_error(r, 404, RESOURCE_NOT_FOUND)


@pytest.mark.parametrize("method,path", [("DELETE", "/predictions/convnet"), ("GET", "/test"),
                                         ("PUT", "/test"), ("DELETE", "/ping"), ("PATCH", "/predictions/convnet")])
def test_wrong_method(server, method, path):
    assert_error(requests.request(method, server.url() + path, timeout=TIMEOUT), 405, METHOD_NOT_ALLOWED)


# ---------------------------------------------------------------- size limits, malformed HTTP

@pytest.mark.parametrize("target", ["/predictions/convnet", "/test"])
def test_oversized_body_refused_from_content_length(server, target):
    # Only the headers are sent: the 413 must come without the server waiting for the body.
    with connect(server.port()) as s:
        s.sendall(http_request("POST", target, headers={"Content-Length": str(MAX_REQUEST + 1),
                                                        "Content-Type": "application/octet-stream"}))
        resp, _ = read_response(s, timeout=5.0)
        assert resp is not None, "connection closed without an answer"
        assert resp.status == 413, resp
        assert resp.headers.get("content-type", "").startswith("application/json"), resp
        body = resp.json()
        assert body["code"] == 413 and body["type"] == TOO_LARGE and body["message"], resp
        # The unread body cannot be skipped: the server closes the connection.
        assert wait_closed(s, 5.0), "the connection stays open after a 413 whose body was not read"


def test_body_within_the_limit_is_read(server, reference):
    # A valid PNG padded after IEND to exactly --max-request-size bytes is not "too large".
    img = read(DIGIT7)
    padded = img + b"\0" * (MAX_REQUEST - len(img))
    r = predict(server, padded)
    assert r.status_code != 413, r.text
    if r.status_code == 200:
        assert r.text == str(reference.predict(img)["digit"])
    else:
        assert_error(r, 400, BAD_REQUEST)  # trailing bytes may be refused by the decoder


@pytest.mark.parametrize("request_bytes", [
    b"GARBAGE\r\n\r\n",
    b"GET\r\n\r\n",
    b"PUT /predictions/convnet HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"PUT /predictions/convnet HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello",
    b"PUT /predictions/convnet HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    b"GET / HTTP/1.1\r\nBad Header Line\r\n\r\n",
], ids=["garbage", "no-target", "length-abc", "two-lengths", "bad-chunk", "bad-header"])
def test_malformed_http(server, request_bytes):
    resp, closed = raw_exchange(server.port(), request_bytes, timeout=5.0)
    assert resp is not None, "closed without an answer"
    assert resp.status == 400, resp
    assert closed, "the connection stays open after a malformed request"


def test_binary_garbage_does_not_hang(server):
    # A TLS ClientHello on the plain-HTTP port: an answer (400) or a close, quickly.
    hello = bytes.fromhex("16030100a5010000a10303") + bytes(range(32)) + b"\x00" * 130
    t0 = time.monotonic()
    resp, closed = raw_exchange(server.port(), hello, timeout=5.0)
    assert closed and time.monotonic() - t0 < 5
    assert resp is None or resp.status == 400, resp


def test_huge_header_refused(server):
    req = http_request("GET", "/ping", headers={"X-Big": "a" * 200_000})
    with connect(server.port()) as s:
        try:
            s.sendall(req)
        except (BrokenPipeError, ConnectionResetError):
            return  # refused while sending: fine
        try:
            resp, _ = read_response(s, timeout=5.0)
        except ConnectionResetError:
            return
        # Not fixed by the contract: refused (400/413/431, or closed) or served; never a hang.
        assert resp is None or resp.status in (200, 400, 413, 431), resp


def test_http_1_0_without_host(server):
    resp, closed = raw_exchange(server.port(), b"GET /ping HTTP/1.0\r\n\r\n", timeout=5.0)
    assert resp is not None and resp.status == 200 and json.loads(resp.body) == {"status": "Healthy"}, resp
    assert closed, "HTTP/1.0 without keep-alive: the server closes after the answer"


def test_bad_then_good_on_one_connection(server, reference):
    # A 4xx that the server could read completely keeps the connection usable.
    img = read(DIGIT2)
    with connect(server.port()) as s:
        s.sendall(http_request("PUT", "/predictions/convnet", body=b"not an image"))
        resp, rest = read_response(s)
        assert resp is not None and resp.status == 400, resp
        s.sendall(http_request("PUT", "/predictions/convnet", body=img))
        resp, _ = read_response(s, buffered=rest)
        assert resp is not None and resp.status == 200, resp
        assert resp.body.decode() == str(reference.predict(img)["digit"])


# ---------------------------------------------------------------- limits of other servers

def test_max_pixels(start_server, reference):
    s = start_server("--max-pixels", 1000)
    big = gray_png(100, 100)  # 10000 pixels > 1000
    assert_error(s.predict(big), 400, BAD_REQUEST)
    small = read(DIGIT2)  # 784 pixels
    assert_text_digit(s.predict(small), reference.predict(small)["digit"])


def test_max_encoded_bytes(start_server, reference):
    s = start_server("--max-encoded-bytes", 1000)
    assert len(read(DIGIT7)) > 1000 and len(read(DIGIT2)) <= 1000
    assert_error(s.predict(read(DIGIT7)), 400, BAD_REQUEST)
    assert_text_digit(s.predict(read(DIGIT2)), reference.predict(read(DIGIT2))["digit"])


# ---------------------------------------------------------------- and after all that

def test_zz_still_serving(server, reference):
    assert server.running, server.logs()
    for path in (DIGIT2, DIGIT7):
        img = read(path)
        assert_text_digit(predict(server, img), reference.predict(img)["digit"])
    t = reference.tensor(read(DIGIT7))
    r = flask(server, {"metadata": meta({"dims": [1, 28, 28]}), "data": data(t.tobytes())})
    assert_text_digit(r, reference.predict(read(DIGIT7))["digit"])
    r = requests.get(server.url() + "/ping", timeout=TIMEOUT)
    assert r.status_code == 200 and r.json() == {"status": "Healthy"}
