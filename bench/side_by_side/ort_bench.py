"""ONNX Runtime side of tools/compare.py: the exported ConvNet (tools/export_onnx.py) on CPU; also
bench/zoo/bench_zoo.py's exported zoo models (any [N,C,H,W] input with a dynamic batch axis).

Runs under a Python that has the onnxruntime and numpy wheels (not Debian's python3, which has
torch): `python3 -m pip install onnxruntime numpy`.

    python3 ort_bench.py forward MODEL.onnx [--threads T] [--batches 1,2,4] [--min-time S]
    python3 ort_bench.py check   MODEL.onnx
    python3 ort_bench.py once    MODEL.onnx

Session: all graph optimizations, sequential execution, T intra-op threads, 1 inter-op thread.
Each call is session.run_with_iobinding on an input already bound as an OrtValue, so the
Python overhead per call is one method call. Prints one JSON object per line, as the C++
programs do (bench/side_by_side/timing.hpp).
"""
import argparse
import json
import sys
import time

import numpy as np
import onnxruntime as ort


def test_batch(batch, shape=(1, 28, 28)):
    """The shared deterministic input (timing.hpp: test_pixel), [batch, *shape]."""
    i = np.arange(int(np.prod(shape)), dtype=np.int64)
    j = np.arange(batch, dtype=np.int64)[:, None]
    v = ((i * 37 + j * 11) % 256).astype(np.float64) / 255.0
    return ((v - 0.1302) / 0.3069).astype(np.float32).reshape(batch, *shape)


def image_shape(s):
    """[C, H, W] of the session's input when the graph states it, else the ConvNet's [1, 28, 28]."""
    dims = s.get_inputs()[0].shape[1:]
    return tuple(dims) if len(dims) == 3 and all(isinstance(d, int) and d > 0 for d in dims) else (1, 28, 28)


def session(path, threads):
    o = ort.SessionOptions()
    o.intra_op_num_threads = threads
    o.inter_op_num_threads = 1
    o.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, sess_options=o, providers=["CPUExecutionProvider"])


def measure(f, min_time, min_iters=10, max_iters=200000, warmup=5):
    for _ in range(warmup):
        f()
    t = []
    total = 0.0
    clock = time.perf_counter
    while (len(t) < min_iters or total < min_time) and len(t) < max_iters:
        a = clock()
        f()
        s = clock() - a
        t.append(s)
        total += s
    t.sort()
    n = len(t)
    q = lambda p: t[min(n - 1, int(p * (n - 1) + 0.5))]  # noqa: E731
    median = t[n // 2] if n % 2 else 0.5 * (t[n // 2 - 1] + t[n // 2])
    return {"median_s": median, "p10_s": q(0.10), "p90_s": q(0.90), "n": n}


def memory():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key = line.split(":")[0]
            if key in ("VmHWM", "VmRSS"):
                out[key + "_kib"] = int(line.split()[1])
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=("forward", "check", "once"))
    p.add_argument("model")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batches", default="1")
    p.add_argument("--min-time", type=float, default=1.0)
    a = p.parse_args()
    s = session(a.model, a.threads)
    name_in = s.get_inputs()[0].name
    shape = image_shape(s)
    if a.mode == "check":
        out = s.run(None, {name_in: test_batch(2, shape)})[0]
        print(json.dumps({"impl": "onnxruntime", "kind": "check", "version": ort.__version__,
                          "log_probabilities": [float(v) for v in out.ravel()]}))
        return 0
    if a.mode == "once":
        out = s.run(None, {name_in: test_batch(1, shape)})[0]
        print(json.dumps({"impl": "onnxruntime", "kind": "memory", "digit": int(out.argmax()), **memory()}))
        return 0
    for batch in [int(b) for b in a.batches.split(",")]:
        x = ort.OrtValue.ortvalue_from_numpy(test_batch(batch, shape))
        binding = s.io_binding()
        binding.bind_ortvalue_input(name_in, x)
        binding.bind_output(s.get_outputs()[0].name)
        stats = measure(lambda: s.run_with_iobinding(binding), a.min_time, 5 if batch >= 256 else 10)
        print(json.dumps({"impl": "onnxruntime", "kind": "forward", "threads": a.threads, "batch": batch,
                          "version": ort.__version__, **stats}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
