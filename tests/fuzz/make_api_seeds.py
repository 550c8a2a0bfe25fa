#!/usr/bin/env python3
"""Writes the seeds of fuzz_c_api (call programs) and fuzz_server_request (HTTP requests).

    python3 tests/fuzz/make_api_seeds.py      # writes tests/fuzz/corpus/{c_api,server_request}/

A fuzz_c_api input is a program: each call starts with an op byte (op % 13 picks the call,
bit 7 the model slot) followed by the call's own bytes, in the order fuzz_c_api.cpp reads
them. The programs below load seed models and reach every call once; libFuzzer takes it
from there. The requests are what TorchServe, Flask and Open Inference Protocol clients send.
"""
import base64
import json
import pathlib
import random
import struct

HERE = pathlib.Path(__file__).parent
ROOT = HERE.parent.parent
NATIVE_SEEDS = len([p for p in (HERE / "corpus" / "native_model").iterdir() if p.is_file()])
CONVNET, TORCHSCRIPT = NATIVE_SEEDS, NATIVE_SEEDS + 1  # fuzz_c_api.cpp appends these two

# fuzz_c_api ops (op % 13)
LOAD, FREE, ENCODED, ENCODED_BATCH, ENCODED_EX, GRAY, GRAY_BATCH, GRAY_EX, TENSOR, INFO, PREPROCESS, NAMES, NULLS = range(13)


def load(model, cut=0, how=0, limits=3):
    return bytes([LOAD, model, cut, how, limits])


def seed_image(index, how=0):
    return bytes([how, index])


OUTPUTS_ALL = bytes([0x0F])  # predictions, exact capacity, probabilities and log-probabilities

programs = {
    "convnet-every-call": load(CONVNET)
    + bytes([ENCODED]) + seed_image(3) + OUTPUTS_ALL
    + bytes([ENCODED_BATCH, 2]) + seed_image(4) + seed_image(9, how=4) + bytes([128]) + OUTPUTS_ALL
    + bytes([ENCODED_EX, 3]) + seed_image(1) + seed_image(2, how=8) + bytes([0x10, 0, 7]) + seed_image(0)
    + OUTPUTS_ALL + bytes([1, 2])
    + bytes([GRAY, 28, 28, 0]) + OUTPUTS_ALL + bytes([1])
    + bytes([GRAY_EX, 3, 40, 30, 7, 10, 10, 3, 9, 9, 4]) + OUTPUTS_ALL + bytes([1, 1])
    + bytes([TENSOR, 1, 2, 1]) + struct.pack("<f", float("nan")) + bytes([5, 0]) + OUTPUTS_ALL + bytes([1, 0])
    + bytes([INFO, 4, 3, PREPROCESS]) + seed_image(5) + bytes([3, FREE]),
    "tiny-models-two-slots": load(0) + bytes([LOAD | 0x80, 5, 0, 1, 0])
    + bytes([GRAY_BATCH | 0x80, 2, 5, 5, 0, 4, 4, 1]) + OUTPUTS_ALL
    + bytes([ENCODED_EX, 2]) + seed_image(7) + seed_image(8) + OUTPUTS_ALL + bytes([1, 3]),
    "torchscript-and-refusals": load(TORCHSCRIPT) + bytes([ENCODED]) + seed_image(6) + OUTPUTS_ALL
    + load(CONVNET, cut=240) + load(CONVNET, how=0x40) + load(CONVNET, limits=0xF0)
    + bytes([GRAY, 8, 3, 4]) + OUTPUTS_ALL + bytes([1]),
    "no-model": bytes([NAMES, 200, 6]) + b"native" + bytes([NULLS, 0, 9, NULLS, 2, 0, ENCODED, 0, 1, 0, INFO, 1]),
}
random.seed(11)
programs["random"] = bytes(random.randrange(256) for _ in range(256))

png = (ROOT / "tests" / "data" / "images" / "0-L-28x28.png").read_bytes()


def request(method, target, body=b"", headers=()):
    head = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1"] + list(headers)
    if body:
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def multipart(parts, boundary="7f1c0e"):
    out = b""
    for name, body, extra in parts:
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"{extra}\r\n\r\n'.encode() + body + b"\r\n"
    return out + f"--{boundary}--\r\n".encode(), f"Content-Type: multipart/form-data; boundary={boundary}"


def chunked(method, target, body):
    chunks = b"".join(b"%x\r\n" % len(body[i:i + 100]) + body[i:i + 100] + b"\r\n" for i in range(0, len(body), 100))
    return request(method, target, headers=["Transfer-Encoding: chunked"]) + chunks + b"0\r\n\r\n"


form, form_type = multipart([("data", png, '; filename="digit.png"')])
flask, flask_type = multipart([("data", struct.pack("<784f", *([0.5] * 784)), ""),
                               ("metadata", b'{"dims": [1, 28, 28]}', "")])
fp32 = json.dumps({"id": "a", "inputs": [{"name": "input", "shape": [1, 1, 28, 28], "datatype": "FP32",
                                          "data": [0.25] * 784}], "outputs": [{"name": "digit"}]}).encode()
bytes_input = json.dumps({"inputs": [{"name": "image", "shape": [1], "datatype": "BYTES",
                                      "data": [base64.b64encode(png).decode()]}]}).encode()
requests = {
    "ping": request("GET", "/ping"),
    "page": request("GET", "/"),
    "predictions-raw-png": request("POST", "/predictions/convnet", png, ["Content-Type: image/png"]),
    "predictions-multipart-topk-json": request("POST", "/predictions/convnet/1.0?topk=3&format=json", form,
                                                [form_type, "Accept: application/json"]),
    "predictions-chunked": chunked("PUT", "/predictions/convnet", png),
    "flask-test": request("POST", "/test", flask, [flask_type]),
    "oip-infer-fp32": request("POST", "/v2/models/convnet/infer", fp32, ["Content-Type: application/json"]),
    "oip-infer-bytes": request("POST", "/v2/models/convnet/versions/1.0/infer", bytes_input),
    "oip-metadata": request("GET", "/v2/models/convnet"),
    "oip-health": request("GET", "/v2/health/ready"),
}

for folder, seeds in (("c_api", programs), ("server_request", requests)):
    out = HERE / "corpus" / folder
    out.mkdir(parents=True, exist_ok=True)
    for name, data in seeds.items():
        (out / name).write_bytes(data)
        print(f"{out / name}: {len(data)} bytes")
