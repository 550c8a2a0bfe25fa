#!/usr/bin/env python3
"""Writes the tiny .dimodel seeds of the native-model fuzzer (tests/fuzz/corpus/native_model/).

Each seed is a complete, valid file (checksum included; layout in src/format/dimodel.cpp) small
enough for libFuzzer to mutate quickly; models/convnet.dimodel is the large, realistic seed.
Two families:
  * format version 1 (a chain of conv / max-pool / linear): the v1 reader's seeds, unchanged;
  * format version 2 (a DAG: v2-*.dimodel), encoded as write_native_model and OpWriter encode
    (metadata JSON as metadata_json dumps it), so that the library re-exports each of them
    byte for byte. Together they hold every op kind, every activation kind and both
    softmax outputs, on every convolution and pooling path of the graph runner.
Also writes the hostile models of tests/fuzz/regressions/native_model/ (HOSTILE below): valid files
the loader must refuse (non-finite metadata and weights, engine budgets).
Deterministic: rerun it and the files are the same.

Usage:
  python3 tests/fuzz/make_model_seeds.py            write the seeds
  python3 tests/fuzz/make_model_seeds.py --check    write them, then prove every .dimodel in the
      corpus directory valid through a built libdigitinfer.so (ctypes; --lib PATH, else
      $DIGITINFER_LIB, else the newest build*/libdigitinfer.so under the repository):
      di_model_load_memory (which checks the plan, the label count and runs a dummy forward),
      a batch of 2 through di_model_predict_tensor at every ISA this CPU has (DIGITINFER_ISA),
      compared with this file's pure-Python reference of the plan, and di_model_export_native,
      whose bytes must equal the file's for a version 2 seed. Exits 1 if any seed fails.
"""
import argparse
import ctypes
import glob
import json
import math
import os
import struct
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "native_model")
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


# ------------------------------------------------------------------ format version 1 (unchanged)

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

# ------------------------------------------------------------------ format version 2

# src/format/dimodel.cpp's OpKind and src/engine/plan.hpp's Pointwise::Kind / Pool2d::Kind.
K_CONV, K_POOL, K_LINEAR, K_ADAPTIVE, K_BATCH_NORM, K_POINTWISE, K_FLATTEN, K_ADD, K_CONCAT = range(1, 10)
ACTIVATIONS = ["identity", "relu", "leaky_relu", "elu", "gelu", "gelu_tanh", "silu", "sigmoid", "tanh",
               "hardtanh", "hardswish"]
MAX, AVERAGE = 0, 1
INPUT = -1  # plan.hpp's kInput; written as 0, node k as k + 1
OUTPUTS = {"none": (NONE, "logits"), "log_softmax": (LOG_SOFTMAX, "log_probabilities"),
           "softmax": (SOFTMAX, "probabilities")}


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def values(n, seed, scale=16.0, offset=0.0):
    """n small deterministic float32 values (exact in binary), some negative."""
    return [offset + ((i * 37 + seed * 11) % 19 - 9) / scale for i in range(n)]


def pack_floats(vs):
    return b"".join(struct.pack("<f", v) for v in vs)


def act(kind="identity", alpha=0.0, beta=0.0):
    return (ACTIVATIONS.index(kind), f32(alpha), f32(beta))


def windows(n, pad_sum, k, d, s, ceil_mode, pad_begin):
    """src/engine/shapes.cpp's output size of a window of k taps (dilation d) at stride s."""
    span = n + pad_sum - d * (k - 1) - 1
    if span < 0:
        raise ValueError("window larger than its padded input")
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= n + pad_begin:
        out -= 1
    return out


def pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


class Net:
    """A version 2 plan under construction: nodes as the file lists them, with their shapes.

    Shapes are ("s", C, H, W) or ("f", F); each builder method takes its input node(s), fills
    the fields that follow from the input's shape and returns the new node's index.
    """

    def __init__(self, channels, height, width):
        self.input = ("s", channels, height, width)
        self.nodes = []  # (kind, [inputs], fields dict)
        self.shapes = []

    def shape(self, i):
        return self.input if i == INPUT else self.shapes[i]

    def _add(self, kind, inputs, fields, shape):
        for i in inputs:
            if i != INPUT and not 0 <= i < len(self.nodes):
                raise ValueError(f"input {i} is not an earlier node")
        self.nodes.append((kind, list(inputs), fields))
        self.shapes.append(shape)
        return len(self.nodes) - 1

    def _spatial(self, x):
        s = self.shape(x)
        if s[0] != "s":
            raise ValueError("needs a spatial input")
        return s[1:]

    def conv(self, x, cout, k, stride=1, pad=0, dilation=1, groups=1, activation=act(), bias=True, seed=1):
        c, h, w = self._spatial(x)
        kh, kw = pair(k)
        sh, sw = pair(stride)
        dh, dw = pair(dilation)
        top, left, bottom, right = (pad,) * 4 if isinstance(pad, int) else pad
        if c % groups or cout % groups:
            raise ValueError("channels not divisible by groups")
        fields = dict(cin=c, cout=cout, kh=kh, kw=kw, sh=sh, sw=sw, top=top, left=left, bottom=bottom, right=right,
                      dh=dh, dw=dw, groups=groups, act=activation,
                      weight=values(cout * (c // groups) * kh * kw, seed, 4.0 * math.sqrt(c // groups * kh * kw)),
                      bias=values(cout, seed + 3) if bias else [])
        oh = windows(h, top + bottom, kh, dh, sh, False, 0)
        ow = windows(w, left + right, kw, dw, sw, False, 0)
        return self._add(K_CONV, [x], fields, ("s", cout, oh, ow))

    def pool(self, x, kind, k, stride=None, pad=0, ceil_mode=False, count_include_pad=True):
        c, h, w = self._spatial(x)
        kh, kw = pair(k)
        sh, sw = pair(stride if stride is not None else k)
        ph, pw = pair(pad)
        if 2 * ph > kh or 2 * pw > kw:
            raise ValueError("padding over half the kernel")
        fields = dict(kind=kind, kh=kh, kw=kw, sh=sh, sw=sw, ph=ph, pw=pw, ceil_mode=ceil_mode,
                      count_include_pad=count_include_pad)
        oh = windows(h, 2 * ph, kh, 1, sh, ceil_mode, ph)
        ow = windows(w, 2 * pw, kw, 1, sw, ceil_mode, pw)
        return self._add(K_POOL, [x], fields, ("s", c, oh, ow))

    def linear(self, x, fout, activation=act(), bias=True, seed=2):
        s = self.shape(x)
        if s[0] != "f":
            raise ValueError("Linear needs a flat input")
        fin = s[1]
        fields = dict(fin=fin, fout=fout, act=activation, weight=values(fout * fin, seed, 4.0 * fin ** 0.5),
                      bias=values(fout, seed + 5) if bias else [])
        return self._add(K_LINEAR, [x], fields, ("f", fout))

    def adaptive(self, x, out_h, out_w):
        c, _, _ = self._spatial(x)
        return self._add(K_ADAPTIVE, [x], dict(oh=out_h, ow=out_w), ("s", c, out_h, out_w))

    def batch_norm(self, x, seed=4):
        s = self.shape(x)
        n = s[1]  # channels (spatial) or features (flat)
        fields = dict(scale=values(n, seed, 16.0, 1.0), shift=values(n, seed + 1, 8.0))
        return self._add(K_BATCH_NORM, [x], fields, s)

    def pointwise(self, x, activation):
        return self._add(K_POINTWISE, [x], dict(act=activation), self.shape(x))

    def flatten(self, x):
        s = self.shape(x)
        return self._add(K_FLATTEN, [x], {}, ("f", size(s)))

    def add(self, a, b):
        if self.shape(a) != self.shape(b):
            raise ValueError("Add of different shapes")
        return self._add(K_ADD, [a, b], {}, self.shape(a))

    def concat(self, *xs):
        shapes = [self.shape(x) for x in xs]
        if len(xs) < 2 or any(s[0] != shapes[0][0] or s[2:] != shapes[0][2:] for s in shapes):
            raise ValueError("Concat of different sizes")
        return self._add(K_CONCAT, list(xs), {}, (shapes[0][0], sum(s[1] for s in shapes)) + shapes[0][2:])

    def encode(self, output, name="seed", mean=0.5, std=0.25):
        """The file write_native_model would write for this plan (its metadata_json included)."""
        activation, kind = OUTPUTS[output]
        classes = size(self.shapes[-1])
        _, c, h, w = self.input
        # metadata_json: a nlohmann::json object (keys sorted), dumped compact.
        meta = {"name": name, "input": {"channels": c, "height": h, "width": w}, "mean": mean, "std": std,
                "labels": [str(i) for i in range(classes)], "output": kind, "has_metadata": True}
        text = json.dumps(meta, separators=(",", ":"), sort_keys=True).encode()
        body = b"DIMODEL\0" + u32(2) + u32(len(text)) + text + u32(len(self.nodes))
        for kind_, inputs, f in self.nodes:
            body += u32(kind_) + u32(len(inputs)) + b"".join(u32(i + 1) for i in inputs) + encode_fields(kind_, f)
        body += u32(activation)
        return body + struct.pack("<Q", fnv1a(body))


def size(shape):
    n = 1
    for d in shape[1:]:
        n *= d
    return n


def encode_activation(a):
    return u32(a[0]) + pack_floats(a[1:])


def encode_fields(kind, f):
    """OpWriter's fields of one op, in file order."""
    if kind == K_CONV:
        return (b"".join(u32(f[k]) for k in ("cin", "cout", "kh", "kw", "sh", "sw", "top", "left", "bottom", "right",
                                              "dh", "dw", "groups"))
                + encode_activation(f["act"]) + u32(bool(f["bias"])) + pack_floats(f["weight"] + f["bias"]))
    if kind == K_POOL:
        return b"".join(u32(int(f[k])) for k in ("kind", "kh", "kw", "sh", "sw", "ph", "pw", "ceil_mode",
                                                  "count_include_pad"))
    if kind == K_LINEAR:
        return (u32(f["fin"]) + u32(f["fout"]) + encode_activation(f["act"]) + u32(bool(f["bias"]))
                + pack_floats(f["weight"] + f["bias"]))
    if kind == K_ADAPTIVE:
        return u32(f["oh"]) + u32(f["ow"])
    if kind == K_BATCH_NORM:
        return u32(len(f["scale"])) + pack_floats(f["scale"] + f["shift"])
    if kind == K_POINTWISE:
        return encode_activation(f["act"])
    return b""  # flatten, add, concat


def v2_conv_stride_pad_dilation():
    # Stride 2x1, asymmetric padding, dilation 1x2: the graph runner's unrolled (im2col) convolution.
    g = Net(1, 8, 8)
    x = g.conv(INPUT, 2, 3, stride=(2, 1), pad=(1, 0, 2, 1), dilation=(1, 2), activation=act("relu"))
    g.linear(g.flatten(x), 3)
    return g.encode("log_softmax")


def v2_residual_add():
    # conv -> conv -> batch norm (folded into the conv) + the first conv's output: a residual block.
    g = Net(1, 6, 6)
    a = g.conv(INPUT, 2, 3, pad=1, activation=act("relu"))
    b = g.batch_norm(g.conv(a, 2, 3, pad=1, bias=False, seed=5))
    y = g.pointwise(g.add(b, a), act("gelu"))  # after an Add: a pass of its own
    y = g.pool(y, MAX, 2)
    g.linear(g.flatten(y), 3)
    return g.encode("log_softmax")


def v2_concat_branches():
    # The input and two branches of it concatenated along channels; average pool, adaptive pool 3x3 -> 2x2.
    g = Net(2, 6, 6)
    a = g.conv(INPUT, 2, 1, activation=act("silu"))
    b = g.conv(INPUT, 3, 3, pad=1, activation=act("sigmoid"), seed=6)
    y = g.pool(g.concat(INPUT, a, b), AVERAGE, 2)
    y = g.adaptive(y, 2, 2)
    g.linear(g.flatten(y), 4)
    return g.encode("softmax")


def v2_depthwise():
    # Depthwise convolutions (groups = channels): stride 2 padded, then stride 1 with asymmetric padding
    # and a 2x3 kernel; then a channel multiplier of 2 (groups 2, 2 -> 4); global adaptive pool as the output.
    g = Net(2, 8, 8)
    x = g.conv(INPUT, 2, 3, stride=2, pad=1, groups=2, activation=act("leaky_relu", 0.1))
    x = g.conv(x, 2, (2, 3), pad=(1, 0, 0, 2), groups=2, seed=7)
    x = g.conv(x, 4, 3, pad=1, groups=2, activation=act("hardswish"), seed=8)
    g.adaptive(x, 1, 1)
    return g.encode("none")


def v2_grouped_conv():
    # Grouped (not depthwise) convolutions: groups 2 over 4 channels, then strided and dilated.
    g = Net(2, 5, 5)
    x = g.conv(INPUT, 4, 1, activation=act("tanh"))
    x = g.conv(x, 6, 2, groups=2, activation=act("elu", 0.5), bias=False, seed=9)
    g.conv(x, 2, 3, stride=2, pad=1, dilation=(1, 2), groups=2, activation=act("hardtanh", -1.0, 1.0), seed=10)
    return g.encode("softmax")


def v2_pools_ceil():
    # Average pool, ceil_mode, padded, count_include_pad false; max pool padded (-inf), ceil_mode;
    # a non-square average pool, ceil_mode with count_include_pad true.
    g = Net(1, 7, 7)
    x = g.pool(INPUT, AVERAGE, 3, 2, pad=1, ceil_mode=True, count_include_pad=False)  # 4x4
    x = g.pool(x, MAX, 3, 2, pad=1, ceil_mode=True)  # 3x3
    x = g.pool(x, AVERAGE, (2, 3), (2, 1), pad=(0, 1), ceil_mode=True, count_include_pad=True)  # 2x3
    g.linear(g.flatten(x), 2, act("gelu_tanh"))
    return g.encode("log_softmax")


def v2_pool_ceil_drop():
    # ceil_mode where the last window would start past the input and is dropped (6 -> 2, not 3),
    # on two channels; then a padded stride-1 max pool and a batch norm after it.
    g = Net(2, 6, 6)
    x = g.pool(INPUT, AVERAGE, 2, 3, ceil_mode=True, count_include_pad=False)  # 2x2
    x = g.pool(x, MAX, 2, 1, pad=1, ceil_mode=True)  # 3x3
    g.batch_norm(x)
    return g.encode("none")


def v2_batch_norm():
    # Batch norms that stay nodes of their own: on the input, after an activated conv, after a pool,
    # on flat features; and one folded into the Linear before it.
    g = Net(1, 4, 4)
    x = g.batch_norm(INPUT, seed=1)
    x = g.batch_norm(g.conv(x, 2, 1, activation=act("relu")), seed=2)
    x = g.batch_norm(g.pool(x, MAX, 2), seed=3)
    x = g.batch_norm(g.flatten(x), seed=5)
    g.batch_norm(g.linear(x, 3), seed=6)
    return g.encode("softmax")


def v2_flat_add_concat():
    # The flat stage as a DAG: Linear branches added and concatenated (one branch used twice),
    # a flat pointwise, a Flatten of a flat tensor (an identity) and a dead branch.
    g = Net(1, 4, 4)
    f = g.flatten(INPUT)
    a = g.linear(f, 4, act("relu"))
    b = g.linear(f, 4, seed=3)
    g.linear(f, 5, seed=7)  # dead: nothing reads it
    s = g.pointwise(g.add(a, b), act("tanh"))
    c = g.concat(s, g.linear(f, 2, bias=False, seed=4), b)
    g.linear(g.flatten(c), 3)
    return g.encode("log_softmax")


def v2_pointwise_every_kind():
    # Every Pointwise kind as a node of its own (Identity on the input is removed), then + the input.
    g = Net(1, 2, 3)
    x = g.pointwise(INPUT, act("identity"))
    for a in (act("relu"), act("leaky_relu", 0.2), act("elu", 1.0), act("gelu"), act("gelu_tanh"), act("silu"),
              act("sigmoid"), act("tanh"), act("hardtanh", -0.5, 0.75), act("hardswish")):
        x = g.pointwise(x, a)
    g.add(x, INPUT)
    return g.encode("none")


def v2_fused_activations():
    # Activations other than ReLU fused into convs and Linears (a pass over the layer's output), and
    # a Pointwise after an already activated Linear, which stays a node.
    g = Net(1, 4, 4)
    x = g.conv(INPUT, 2, 1, activation=act("gelu"))
    x = g.conv(x, 2, 2, activation=act("sigmoid"), seed=3)
    x = g.linear(g.flatten(x), 4, act("silu"))
    x = g.linear(x, 3, act("hardswish"), seed=4)
    g.pointwise(x, act("tanh"))
    return g.encode("none")


def v2_chain():
    # A plain chain in the version 2 encoding, which the chain runner takes once simplified: the batch
    # norm folds into the conv and the ReLU fuses into it.
    g = Net(1, 6, 6)
    x = g.conv(INPUT, 2, 3, bias=False)
    x = g.pointwise(g.batch_norm(x), act("relu"))
    x = g.pool(x, MAX, 2)
    x = g.linear(g.flatten(x), 4, act("relu"))
    g.linear(x, 2, bias=False, seed=3)
    return g.encode("softmax")


V2_SEEDS = {
    "v2-conv-stride-pad-dilation-1x8x8.dimodel": v2_conv_stride_pad_dilation,
    "v2-residual-add-1x6x6.dimodel": v2_residual_add,
    "v2-concat-branches-2x6x6.dimodel": v2_concat_branches,
    "v2-depthwise-2x8x8.dimodel": v2_depthwise,
    "v2-grouped-conv-2x5x5.dimodel": v2_grouped_conv,
    "v2-pools-ceil-1x7x7.dimodel": v2_pools_ceil,
    "v2-pool-ceil-drop-2x6x6.dimodel": v2_pool_ceil_drop,
    "v2-batch-norm-1x4x4.dimodel": v2_batch_norm,
    "v2-flat-add-concat-1x4x4.dimodel": v2_flat_add_concat,
    "v2-pointwise-every-kind-1x2x3.dimodel": v2_pointwise_every_kind,
    "v2-fused-activations-1x4x4.dimodel": v2_fused_activations,
    "v2-chain-1x6x6.dimodel": v2_chain,
}
SEEDS.update({name: make() for name, make in V2_SEEDS.items()})

# ------------------------------------------------------------------ hostile models (regressions)
# Valid files the loader must refuse with DI_ERR_MODEL (tests/test_c_api_contract.cpp), written to
# tests/fuzz/regressions/native_model/ (the fuzz replay runs them too). Before the checks they
# loaded and predicted NaN, or made the engine allocate or compute without bound.

REGRESSIONS = os.path.join(HERE, "regressions", "native_model")


def small_classifier(**meta):
    # The v2 chain seed's shape: conv, pool, Linear; metadata as given.
    g = Net(1, 6, 6)
    x = g.pool(g.conv(INPUT, 2, 3, activation=act("relu")), MAX, 2)
    g.linear(g.flatten(x), 3)
    return g


def poisoned(node, field, index, value):
    # small_classifier with one weight (node 0: the conv, node 3: the Linear) replaced.
    g = small_classifier()
    g.nodes[node][2][field][index] = value
    return g.encode("log_softmax")


def huge_pool():
    # A 3073 x 3073 max-pool at stride 1 over a 4096 x 4096 input: 1024^2 windows of 3073^2 taps,
    # 9.9e12 operations per image (hours), in 347 bytes.
    g = Net(1, 4096, 4096)
    x = g.pool(INPUT, MAX, 3073, 1)
    x = g.pool(x, MAX, 1024)
    g.linear(g.flatten(x), 2)
    return g.encode("log_softmax")


def scratch_dag():
    # Five 16 x 1024 x 1024 maps (each 64 MiB: within the per-tensor bound) that the graph runner
    # keeps side by side: 320 MiB of scratch per thread.
    g = Net(1, 1024, 1024)
    a = g.conv(INPUT, 16, 1)
    b = g.conv(INPUT, 16, 1, seed=2)
    c = g.add(a, b)
    d = g.add(c, a)
    e = g.add(d, b)
    g.linear(g.flatten(g.pool(e, MAX, 1024)), 2)
    return g.encode("log_softmax")


HOSTILE = {
    "metadata-mean-1e300.dimodel": lambda: small_classifier().encode("log_softmax", mean=1e300),
    "metadata-std-1e-45.dimodel": lambda: small_classifier().encode("log_softmax", std=1e-45),
    "weights-nan-conv.dimodel": lambda: poisoned(0, "weight", 5, math.nan),
    "weights-inf-linear-bias.dimodel": lambda: poisoned(3, "bias", 1, math.inf),
    "ops-9.9e12-huge-pool.dimodel": huge_pool,
    "scratch-320mib-dag.dimodel": scratch_dag,
}

# ------------------------------------------------------------------ --check: parse, reference, library


class Parser:
    """An independent reading of a .dimodel (versions 1 and 2) for the reference below."""

    def __init__(self, data):
        if data[:8] != b"DIMODEL\0" or struct.unpack("<Q", data[-8:])[0] != fnv1a(data[:-8]):
            raise ValueError("bad magic or checksum")
        self.data, self.pos, self.end = data, 8, len(data) - 8

    def u32(self):
        if self.pos + 4 > self.end:
            raise ValueError("truncated")
        self.pos += 4
        return struct.unpack_from("<I", self.data, self.pos - 4)[0]

    def f32s(self, n):
        if self.pos + 4 * n > self.end:
            raise ValueError("truncated")
        self.pos += 4 * n
        return list(struct.unpack_from(f"<{n}f", self.data, self.pos - 4 * n))

    def activation(self):
        return (self.u32(),) + tuple(self.f32s(2))

    def weights(self, rows, per_row):
        has_bias = self.u32()
        weight = self.f32s(rows * per_row)
        return weight, self.f32s(rows) if has_bias else []

    def parse(self):
        version = self.u32()
        n = self.u32()
        meta = json.loads(self.data[self.pos:self.pos + n])
        self.pos += n
        nodes = self.v1_nodes() if version == 1 else self.v2_nodes()
        output = self.u32()
        if self.pos != self.end:
            raise ValueError("trailing bytes")
        return version, meta, nodes, output

    def v1_nodes(self):
        nodes, flat = [], False
        for _ in range(self.u32()):
            kind = self.u32()
            if kind == CONV:
                cin, cout, kh, kw, relu = (self.u32() for _ in range(5))
                weight, bias = self.weights(cout, cin * kh * kw)
                op = (K_CONV, dict(cin=cin, cout=cout, kh=kh, kw=kw, sh=1, sw=1, top=0, left=0, bottom=0, right=0,
                                   dh=1, dw=1, groups=1, act=(relu, 0.0, 0.0), weight=weight, bias=bias))
            elif kind == POOL:
                k = self.u32()
                op = (K_POOL, dict(kind=MAX, kh=k, kw=k, sh=k, sw=k, ph=0, pw=0, ceil_mode=0, count_include_pad=1))
            elif kind == LINEAR:
                fin, fout, relu = (self.u32() for _ in range(3))
                weight, bias = self.weights(fout, fin)
                op = (K_LINEAR, dict(fin=fin, fout=fout, act=(relu, 0.0, 0.0), weight=weight, bias=bias))
                if not flat:
                    nodes.append((K_FLATTEN, [len(nodes) - 1], {}))
                    flat = True
            else:
                raise ValueError(f"unknown v1 layer kind {kind}")
            nodes.append((op[0], [len(nodes) - 1], op[1]))
        return nodes

    def v2_nodes(self):
        nodes = []
        for _ in range(self.u32()):
            kind = self.u32()
            inputs = [self.u32() - 1 for _ in range(self.u32())]
            if kind == K_CONV:
                keys = ("cin", "cout", "kh", "kw", "sh", "sw", "top", "left", "bottom", "right", "dh", "dw", "groups")
                f = {k: self.u32() for k in keys}
                f["act"] = self.activation()
                f["weight"], f["bias"] = self.weights(f["cout"], f["cin"] // f["groups"] * f["kh"] * f["kw"])
            elif kind == K_POOL:
                f = {k: self.u32() for k in ("kind", "kh", "kw", "sh", "sw", "ph", "pw", "ceil_mode",
                                             "count_include_pad")}
            elif kind == K_LINEAR:
                f = {"fin": self.u32(), "fout": self.u32(), "act": self.activation()}
                f["weight"], f["bias"] = self.weights(f["fout"], f["fin"])
            elif kind == K_ADAPTIVE:
                f = {"oh": self.u32(), "ow": self.u32()}
            elif kind == K_BATCH_NORM:
                n = self.u32()
                f = {"scale": self.f32s(n), "shift": self.f32s(n)}
            elif kind == K_POINTWISE:
                f = {"act": self.activation()}
            elif kind in (K_FLATTEN, K_ADD, K_CONCAT):
                f = {}
            else:
                raise ValueError(f"unknown op kind {kind}")
            nodes.append((kind, inputs, f))
        return nodes


def apply_activation(a, x):
    kind, alpha, beta = a
    name = ACTIVATIONS[kind]
    if name == "identity":
        return x
    if name == "relu":
        return max(x, 0.0)
    if name == "leaky_relu":
        return x if x > 0 else alpha * x
    if name == "elu":
        return x if x > 0 else alpha * math.expm1(x)
    if name == "gelu":
        return 0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0)))
    if name == "gelu_tanh":
        return 0.5 * x * (1.0 + math.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
    if name == "silu":
        return x / (1.0 + math.exp(-x))
    if name == "sigmoid":
        return 1.0 / (1.0 + math.exp(-x))
    if name == "tanh":
        return math.tanh(x)
    if name == "hardtanh":
        return min(max(x, alpha), beta)
    return x * min(max(x + 3.0, 0.0), 6.0) / 6.0  # hardswish


class Tensor:
    def __init__(self, shape, data):
        self.shape, self.data = shape, data  # ("s", C, H, W) / ("f", F); data: flat, C,H,W order

    def at(self, c, y, x):
        _, _, h, w = self.shape
        return self.data[(c * h + y) * w + x]


def ref_conv(f, t):
    _, c, h, w = t.shape
    cg, og = f["cin"] // f["groups"], f["cout"] // f["groups"]
    oh = windows(h, f["top"] + f["bottom"], f["kh"], f["dh"], f["sh"], False, 0)
    ow = windows(w, f["left"] + f["right"], f["kw"], f["dw"], f["sw"], False, 0)
    out = []
    for o in range(f["cout"]):
        g = o // og
        for oy in range(oh):
            for ox in range(ow):
                s = f["bias"][o] if f["bias"] else 0.0
                for i in range(cg):
                    for ky in range(f["kh"]):
                        y = oy * f["sh"] - f["top"] + ky * f["dh"]
                        if not 0 <= y < h:
                            continue
                        for kx in range(f["kw"]):
                            x = ox * f["sw"] - f["left"] + kx * f["dw"]
                            if 0 <= x < w:
                                s += f["weight"][((o * cg + i) * f["kh"] + ky) * f["kw"] + kx] * t.at(g * cg + i, y, x)
                out.append(apply_activation(f["act"], s))
    return Tensor(("s", f["cout"], oh, ow), out)


def ref_pool(f, t):
    # torch's max_pool2d / avg_pool2d (the divisor: the window clipped to the padded input, or to the
    # input itself when count_include_pad is false).
    _, c, h, w = t.shape
    oh = windows(h, 2 * f["ph"], f["kh"], 1, f["sh"], f["ceil_mode"], f["ph"])
    ow = windows(w, 2 * f["pw"], f["kw"], 1, f["sw"], f["ceil_mode"], f["pw"])
    out = []
    for ch in range(c):
        for oy in range(oh):
            for ox in range(ow):
                y0, x0 = oy * f["sh"] - f["ph"], ox * f["sw"] - f["pw"]
                y1, x1 = min(y0 + f["kh"], h + f["ph"]), min(x0 + f["kw"], w + f["pw"])
                padded = (y1 - y0) * (x1 - x0)
                y0, x0, y1, x1 = max(y0, 0), max(x0, 0), min(y1, h), min(x1, w)
                vals = [t.at(ch, y, x) for y in range(y0, y1) for x in range(x0, x1)]
                if f["kind"] == MAX:
                    out.append(max(vals))
                else:
                    out.append(sum(vals) / (padded if f["count_include_pad"] else len(vals)))
    return Tensor(("s", c, oh, ow), out)


def ref_adaptive(f, t):
    _, c, h, w = t.shape
    out = []
    for ch in range(c):
        for oy in range(f["oh"]):
            for ox in range(f["ow"]):
                y0, y1 = oy * h // f["oh"], -(-(oy + 1) * h // f["oh"])
                x0, x1 = ox * w // f["ow"], -(-(ox + 1) * w // f["ow"])
                vals = [t.at(ch, y, x) for y in range(y0, y1) for x in range(x0, x1)]
                out.append(sum(vals) / len(vals))
    return Tensor(("s", c, f["oh"], f["ow"]), out)


def ref_node(kind, f, ins):
    t = ins[0]
    if kind == K_CONV:
        return ref_conv(f, t)
    if kind == K_POOL:
        return ref_pool(f, t)
    if kind == K_ADAPTIVE:
        return ref_adaptive(f, t)
    if kind == K_LINEAR:
        out = [(f["bias"][o] if f["bias"] else 0.0) +
               sum(f["weight"][o * f["fin"] + i] * v for i, v in enumerate(t.data)) for o in range(f["fout"])]
        return Tensor(("f", f["fout"]), [apply_activation(f["act"], v) for v in out])
    if kind == K_BATCH_NORM:
        per = len(t.data) // t.shape[1]
        return Tensor(t.shape, [v * f["scale"][i // per] + f["shift"][i // per] for i, v in enumerate(t.data)])
    if kind == K_POINTWISE:
        return Tensor(t.shape, [apply_activation(f["act"], v) for v in t.data])
    if kind == K_FLATTEN:
        return Tensor(("f", len(t.data)), t.data)
    if kind == K_ADD:
        return Tensor(t.shape, [a + b for a, b in zip(t.data, ins[1].data)])
    # Concat along channels / features: C,H,W order makes it the data one after the other.
    return Tensor(t.shape[:1] + (sum(i.shape[1] for i in ins),) + t.shape[2:], [v for i in ins for v in i.data])


def reference_probabilities(nodes, meta, image):
    """The plan run in double precision on one [C, H, W] image, then the library's probabilities."""
    inp = meta["input"]
    x = Tensor(("s", inp["channels"], inp["height"], inp["width"]), image)
    outs = []
    for kind, inputs, f in nodes:
        outs.append(ref_node(kind, f, [x if i == INPUT else outs[i] for i in inputs]))
    # None (logits: the library's softmax), log_softmax (exp'd back) and softmax all give softmax(v).
    v = outs[-1].data
    m = max(v)
    e = [math.exp(a - m) for a in v]
    return [a / sum(e) for a in e]


class Outputs(ctypes.Structure):
    _fields_ = [("predictions", ctypes.c_void_p), ("probabilities", ctypes.POINTER(ctypes.c_float)),
                ("log_probabilities", ctypes.POINTER(ctypes.c_float)), ("scores_capacity", ctypes.c_size_t)]


def find_library(explicit):
    if explicit:
        return explicit
    if os.environ.get("DIGITINFER_LIB"):
        return os.environ["DIGITINFER_LIB"]
    root = os.path.normpath(os.path.join(HERE, "..", ".."))
    found = glob.glob(os.path.join(root, "build*", "libdigitinfer.so")) + \
        glob.glob(os.path.join(root, "build*", "*", "libdigitinfer.so"))
    if not found:
        sys.exit("no libdigitinfer.so under build*/: build the library, or pass --lib PATH")
    return max(found, key=os.path.getmtime)


class Library:
    def __init__(self, path):
        self.lib = lib = ctypes.CDLL(path)
        lib.di_last_error_message.restype = ctypes.c_char_p
        lib.di_model_load_memory.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p,
                                             ctypes.POINTER(ctypes.c_void_p)]
        lib.di_model_free.argtypes = [ctypes.c_void_p]
        lib.di_model_predict_tensor.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float), ctypes.c_size_t,
                                                ctypes.c_size_t, ctypes.POINTER(Outputs)]
        lib.di_model_export_native.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.di_version.restype = ctypes.c_char_p

    def error(self, status, what):
        return f"{what}: status {status}: {self.lib.di_last_error_message().decode(errors='replace')}"

    def load(self, data):
        model = ctypes.c_void_p()
        status = self.lib.di_model_load_memory(data, len(data), None, ctypes.byref(model))
        if status != 0:
            raise RuntimeError(self.error(status, "di_model_load_memory"))
        return model

    def predict(self, model, images, classes):
        flat = [v for image in images for v in image]
        data = (ctypes.c_float * len(flat))(*flat)
        probs = (ctypes.c_float * (classes * len(images)))()
        out = Outputs(None, probs, None, classes * len(images))
        status = self.lib.di_model_predict_tensor(model, data, len(flat), len(images), ctypes.byref(out))
        if status != 0:
            raise RuntimeError(self.error(status, "di_model_predict_tensor"))
        return [list(probs[i * classes:(i + 1) * classes]) for i in range(len(images))]

    def export(self, model):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "export.dimodel")
            status = self.lib.di_model_export_native(model, path.encode())
            if status != 0:
                raise RuntimeError(self.error(status, "di_model_export_native"))
            with open(path, "rb") as f:
                return f.read()


def test_images(meta, count=2):
    inp = meta["input"]
    n = inp["channels"] * inp["height"] * inp["width"]
    return [[((i * 7 + k * 13) % 17 - 8) / 8.0 for i in range(n)] for k in range(count)]


def check_seed(lib, name, data, isas):
    """Problems with one seed ([] when it is valid); prints what it checked."""
    version, meta, nodes, output = Parser(data).parse()
    classes = len(meta["labels"])
    images = test_images(meta)
    expected = [reference_probabilities(nodes, meta, image) for image in images]
    problems = []
    for isa in isas:
        os.environ["DIGITINFER_ISA"] = isa
        try:
            model = lib.load(data)
        except RuntimeError as e:
            return [f"does not load ({isa}): {e}"]
        try:
            got = lib.predict(model, images, classes)
            worst = max(abs(g - e) for gr, er in zip(got, expected) for g, e in zip(gr, er))
            if not worst <= 1e-5:  # float32 against double: ~1e-7 seen
                problems.append(f"{isa}: probabilities differ from the reference by {worst:.3g}: "
                                f"got {got[0]}, expected {expected[0]}")
            if isa == isas[0]:
                exported = lib.export(model)
                if version == 2 and exported != data:
                    problems.append("di_model_export_native does not give the file's bytes back")
                lib.lib.di_model_free(lib.load(exported))  # the re-encoding of a v1 file loads too
        except RuntimeError as e:
            problems.append(f"{isa}: {e}")
        finally:
            lib.lib.di_model_free(model)
    os.environ.pop("DIGITINFER_ISA", None)
    print(f"{'ok  ' if not problems else 'FAIL'} {name}: v{version}, {len(nodes)} nodes, {classes} outputs, "
          f"{len(data)} bytes")
    return problems


def check(lib_path, isas):
    lib = Library(lib_path)
    print(f"checking against {lib_path} (DigitInfer {lib.lib.di_version().decode()}), ISAs {', '.join(isas)}")
    failed = 0
    for name in sorted(os.listdir(OUT)):
        if not name.endswith(".dimodel"):
            continue
        with open(os.path.join(OUT, name), "rb") as f:
            data = f.read()
        if name not in SEEDS:
            print(f"note: {name} is not made by this script")
        try:
            problems = check_seed(lib, name, data, isas)
        except (ValueError, KeyError, IndexError) as e:  # this file's reader: what does the library say?
            problems = [f"does not parse here: {e!r}"]
            try:
                lib.lib.di_model_free(lib.load(data))
                problems.append("but the library loads it")
            except RuntimeError as load_error:
                problems.append(f"nor in the library: {load_error}")
            print(f"FAIL {name}: {len(data)} bytes")
        for p in problems:
            print(f"     {p}")
        failed += bool(problems)
    print(f"{failed} of the seeds failed" if failed else "every seed loads, runs and matches the reference")
    return failed == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="then load and run every seed through the library")
    parser.add_argument("--lib", help="libdigitinfer.so to check with (default: the newest build*/libdigitinfer.so)")
    parser.add_argument("--isa", default="avx512,avx2,scalar",
                        help="DIGITINFER_ISA values to run each seed at (comma-separated; above the CPU's best "
                             "they run at its best)")
    args = parser.parse_args()
    for folder, files in ((OUT, SEEDS), (REGRESSIONS, {name: make() for name, make in HOSTILE.items()})):
        os.makedirs(folder, exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
            print(f"{os.path.relpath(os.path.join(folder, name), HERE)}: {len(data)} bytes")
    if args.check and not check(find_library(args.lib), args.isa.split(",")):
        sys.exit(1)


if __name__ == "__main__":
    main()
