"""SageMaker's bring-your-own-container contract: the server started as `docker run IMAGE serve` starts
it (a trailing `serve`), GET /ping answers 200 once a model is ready, POST /invocations with the image
as the body is a prediction by the first model (text, or JSON with Accept: application/json)."""
import subprocess

import pytest
import requests

from serverlib import BINARY, DIGIT2, DIGIT7, TIMEOUT, assert_error, assert_probabilities, assert_text_digit, read


@pytest.fixture(scope="module")
def server(module_server):
    return module_server("serve")


def test_ping_after_serve(server):
    r = requests.get(server.url() + "/ping", timeout=TIMEOUT)
    assert r.status_code == 200 and r.json() == {"status": "Healthy"}


@pytest.mark.parametrize("path", [DIGIT2, DIGIT7], ids=["digit-2", "digit-7"])
def test_invocations_text(server, reference, path):
    data = read(path)
    r = requests.post(server.url() + "/invocations", data=data, headers={"Content-Type": "image/png"},
                      timeout=TIMEOUT)
    assert_text_digit(r, reference.predict(data)["digit"])


def test_invocations_json(server, reference):
    data = read(DIGIT7)
    r = requests.post(server.url() + "/invocations", data=data,
                      headers={"Content-Type": "image/png", "Accept": "application/json"}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    expected = reference.predict(data)
    assert r.json()["digit"] == expected["digit"]
    assert_probabilities(r.json()["probabilities"], expected["probabilities"])


def test_invocations_refuses_get_and_bad_bodies(server):
    assert_error(requests.get(server.url() + "/invocations", timeout=TIMEOUT), 405)
    assert_error(requests.post(server.url() + "/invocations", data=b"", timeout=TIMEOUT), 400)
    assert_error(requests.post(server.url() + "/invocations", data=b"not an image", timeout=TIMEOUT), 400)


def test_another_command_is_refused():
    if BINARY is None:
        pytest.skip("no digitinfer-server binary")
    p = subprocess.run([str(BINARY), "train"], capture_output=True, timeout=15, stdin=subprocess.DEVNULL)
    assert p.returncode != 0 and b"serve" in p.stderr, p.stderr
