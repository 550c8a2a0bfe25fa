"""The classic Flask model-server protocol (SPEC section 4): POST /test, multipart parts `metadata` (JSON
dims) and `data` (raw little-endian float32 of the normalized tensor) -> the digit as text/plain."""
import json

import numpy as np
import pytest
import requests

from serverlib import DIGIT2, DIGIT7, TIMEOUT, assert_text_digit, describe, golden_case, read


@pytest.fixture(scope="module")
def server(module_server):
    return module_server()


def classic_client(url, tensor):
    """Exactly what the classic Flask client sends."""
    return requests.post(url, files={'metadata': ('metadata', json.dumps({'dims': [1, 28, 28]}), 'application/json'),
                                     'data': ('data', tensor.tobytes(), 'application/octet-stream')},
                         timeout=TIMEOUT)


def test_the_reference_agrees_with_golden_json(reference):
    # The suite's expectations come from the reference pipeline; it must be the one golden.json records.
    for path in (DIGIT2, DIGIT7):
        case = golden_case(f"examples/images/{path.name}")
        assert case is not None, f"golden.json has no case for {path.name}"
        got = reference.predict(read(path))
        assert got["digit"] == case["digit"]
        assert max(abs(a - b) for a, b in zip(got["probabilities"], case["probabilities"])) <= 1e-5


def test_classic_client_digit_2(server, reference):
    tensor = reference.tensor(read(DIGIT2))
    assert tensor.shape == (1, 28, 28) and tensor.dtype == np.dtype("<f4") and tensor.nbytes == 3136
    r = classic_client(server.url() + "/test", tensor)
    assert_text_digit(r, reference.predict(read(DIGIT2))["digit"])


def test_classic_client_digit_7(server, reference):
    # digit-7.png is 251x248 RGBA: the client did the resizing, the server gets 28x28 floats.
    tensor = reference.tensor(read(DIGIT7))
    r = classic_client(server.url() + "/test", tensor)
    assert_text_digit(r, reference.predict(read(DIGIT7))["digit"])


def test_plain_files_form(server, reference):
    # files={'metadata': json_str, 'data': bytes}: no content types; requests names the files after the keys.
    tensor = reference.tensor(read(DIGIT2))
    r = requests.post(server.url() + "/test",
                      files={'metadata': json.dumps({'dims': [1, 28, 28]}), 'data': tensor.tobytes()},
                      timeout=TIMEOUT)
    assert_text_digit(r, reference.predict(read(DIGIT2))["digit"])


def test_part_order_does_not_matter(server, reference):
    tensor = reference.tensor(read(DIGIT7))
    r = requests.post(server.url() + "/test",
                      files=[('data', ('data', tensor.tobytes(), 'application/octet-stream')),
                             ('metadata', ('metadata', json.dumps({'dims': [1, 28, 28]}), 'application/json'))],
                      timeout=TIMEOUT)
    assert_text_digit(r, reference.predict(read(DIGIT7))["digit"])


def test_form_fields_without_filename(server, reference):
    # metadata as a plain form field (no filename) next to the file part: still multipart/form-data.
    tensor = reference.tensor(read(DIGIT2))
    r = requests.post(server.url() + "/test", data={'metadata': json.dumps({'dims': [1, 28, 28]})},
                      files={'data': ('data', tensor.tobytes(), 'application/octet-stream')}, timeout=TIMEOUT)
    assert_text_digit(r, reference.predict(read(DIGIT2))["digit"])


def test_the_tensor_decides_not_an_image(server, reference):
    # A tensor the reference classifies differently from both examples: the server runs what it is sent.
    rng = np.random.default_rng(7)
    d2, d7 = reference.predict(read(DIGIT2))["digit"], reference.predict(read(DIGIT7))["digit"]
    for _ in range(50):
        t = rng.normal(0.0, 1.0, size=(1, 28, 28)).astype("<f4")
        expected = reference.predict_tensor(t)["digit"]
        if expected not in (d2, d7):
            break
    else:
        pytest.skip("no random tensor with a third digit")
    r = classic_client(server.url() + "/test", t)
    assert_text_digit(r, expected)


def test_keep_alive_session(server, reference):
    tensor = reference.tensor(read(DIGIT2))
    expected = str(reference.predict(read(DIGIT2))["digit"])
    with requests.Session() as s:
        for _ in range(5):
            r = s.post(server.url() + "/test",
                       files={'metadata': ('metadata', json.dumps({'dims': [1, 28, 28]}), 'application/json'),
                              'data': ('data', tensor.tobytes(), 'application/octet-stream')}, timeout=TIMEOUT)
            assert r.status_code == 200 and r.text == expected, describe(r)
