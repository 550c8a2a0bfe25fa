#!/usr/bin/env python3
"""Writes the tiny .dimodel seeds of the native-model fuzzer (tests/fuzz/corpus/native_model/).

Each seed is a complete, valid file (format version 1, checksum included; layout in
src/format/dimodel.cpp) small enough for libFuzzer to mutate quickly; models/convnet.dimodel
is the large, realistic seed. Deterministic: rerun it and the files are the same.
Usage: python3 tests/fuzz/make_model_seeds.py
"""
import json
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "native_model")
CONV, POOL, LINEAR = 1, 2, 3
NONE, LOG_SOFTMAX, SOFTMAX = 0, 1, 2


def fnv1a(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def u32(v):
    return struct.pack("<I", v)


def floats(n, seed):
    # Small deterministic values, some negative.
    return b"".join(struct.pack("<f", ((i * 37 + seed * 11) % 19 - 9) / 16.0) for i in range(n))


def conv(cin, cout, kh, kw, relu=1, bias=1):
    out = u32(CONV) + u32(cin) + u32(cout) + u32(kh) + u32(kw) + u32(relu) + u32(bias)
    out += floats(cout * cin * kh * kw, cout + kh)
    return out + (floats(cout, 3) if bias else b"")


def pool(k):
    return u32(POOL) + u32(k)


def linear(fin, fout, relu=0, bias=1):
    out = u32(LINEAR) + u32(fin) + u32(fout) + u32(relu) + u32(bias)
    out += floats(fout * fin, fout)
    return out + (floats(fout, 5) if bias else b"")


def model(channels, height, width, layers, classes, activation, output):
    meta = {
        "name": "seed",
        "input": {"channels": channels, "height": height, "width": width},
        "mean": 0.5,
        "std": 0.25,
        "labels": [str(i) for i in range(classes)],
        "output": output,
    }
    text = json.dumps(meta, separators=(",", ":")).encode()
    body = b"DIMODEL\0" + u32(1) + u32(len(text)) + text + u32(len(layers)) + b"".join(layers) + u32(activation)
    return body + struct.pack("<Q", fnv1a(body))


SEEDS = {
    # Linear only, straight on the pixels.
    "linear-1x4x4.dimodel": model(1, 4, 4, [linear(16, 3)], 3, LOG_SOFTMAX, "log_probabilities"),
    # The convnet's shape, shrunk: conv + fused pool + two Linear layers.
    "conv-pool-linear-1x6x6.dimodel": model(
        1, 6, 6, [conv(1, 2, 3, 3), pool(2), linear(8, 4, relu=1), linear(4, 2, bias=0)], 2, SOFTMAX,
        "probabilities"),
    # Several input channels (NCHW -> HWC transpose), non-square kernel, no bias.
    "conv-3ch-5x4.dimodel": model(3, 5, 4, [conv(3, 4, 2, 1, relu=0, bias=0), linear(4 * 4 * 4, 3)], 3, NONE,
                                  "logits"),
    # A pool that is not fused (after a pool), and no Linear at all: the map is the output.
    "conv-pool-pool-1x8x8.dimodel": model(1, 8, 8, [conv(1, 1, 1, 1), pool(2), pool(2)], 4, LOG_SOFTMAX,
                                          "log_probabilities"),
    # Pool directly on the input.
    "pool-linear-2x4x4.dimodel": model(2, 4, 4, [pool(2), linear(8, 2)], 2, NONE, "logits"),
}

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes")
