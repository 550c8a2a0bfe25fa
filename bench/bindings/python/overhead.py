"""Per-call cost of the Python binding, against the C API's own (bench/bindings/c/overhead.c).

    python3 bench/bindings/python/overhead.py [--calls 2000] [--repeats 5] [MODEL IMAGE]

Times, on one thread, each of these CALLS times per repeat and prints the median and range of the
repeats in ns per call, in the C baseline's format:
  version   digitinfer.version()                   (a trivial call through the binding)
  info      di_model_get_info through ctypes       (the C baseline's trivial call, bare ctypes)
  tensor    model.predict(float32 1x28x28 array)   (di_model_predict_tensor, result as a Prediction)
  encoded   model.predict(png_bytes)               (di_model_predict_encoded)
and, to split the binding's cost into ctypes' and the wrapper's, the same two predict calls made
with bare ctypes on preallocated outputs (rows "ctypes"), and the binding's predict calls with the C
predict function replaced by a stub that returns DI_OK at once: all the Python work of a call, no
inference (rows "wrapper"). The repeats of all cases are interleaved (repeat 1 of each case, then
repeat 2...), so that a change in the machine's load shifts every case alike.
"""
import argparse
import ctypes
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, List, Tuple

import numpy as np

import digitinfer
from digitinfer import _lib, _model

ROOT = Path(__file__).resolve().parents[3]


def per_call(fns: List[Callable[[], object]], calls: int, repeats: int) -> List[List[float]]:
    """ns per call of each repeat of each function, the repeats of all interleaved."""
    for fn in fns:
        fn()  # warm: first-call costs (thread buffers, caches) are not per-call costs
    runs: List[List[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, times in zip(fns, runs):
            start = time.perf_counter_ns()
            for _ in range(calls):
                fn()
            times.append((time.perf_counter_ns() - start) / calls)
    return runs


class _StubbedPredict:
    """The C library with its predict calls replaced by a stub returning DI_OK (everything else real)."""

    def __getattr__(self, name: str) -> object:
        return getattr(_lib.lib, name)

    @staticmethod
    def di_model_predict_tensor(*args: object) -> int:
        return 0

    @staticmethod
    def di_model_predict_encoded(*args: object) -> int:
        return 0


def stubbed(fn: Callable[[], object]) -> Callable[[], object]:
    def call() -> object:
        real, _model.lib = _model.lib, _StubbedPredict()  # type: ignore[attr-defined]
        try:
            return fn()
        finally:
            _model.lib = real  # type: ignore[attr-defined]
    return call


def report(lang: str, name: str, runs: List[float], calls: int) -> None:
    print(f"{lang:<7} {name:<8} median {statistics.median(runs):10.0f} ns  range {min(runs):.0f}-{max(runs):.0f} ns"
          f"  ({len(runs)} x {calls} calls)")


def bare_ctypes(model: digitinfer.Model, tensor: np.ndarray,
                data: bytes) -> Tuple[Callable[[], int], Callable[[], int]]:
    """The two predict calls with ctypes alone: preallocated outputs, no checks, no result objects."""
    lib, handle, k = _lib.lib, model._handle, model.info.num_classes
    prediction, scores = _lib.di_prediction(), np.empty(2 * k, np.float32)
    out = _lib.di_outputs(ctypes.addressof(prediction), scores.ctypes.data, scores.ctypes.data + 4 * k, k)
    out_p, address, size = ctypes.byref(out), tensor.ctypes.data, tensor.size
    return (lambda: lib.di_model_predict_tensor(handle, address, size, 1, out_p),
            lambda: lib.di_model_predict_encoded(handle, data, len(data), out_p))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", nargs="?", default=str(ROOT / "models/convnet.dimodel"))
    parser.add_argument("image", nargs="?", default=str(ROOT / "examples/images/digit-7.png"))
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    data = Path(args.image).read_bytes()
    with digitinfer.Model(args.model, threads=1) as model:
        tensor = model.preprocess(data).tensor
        assert model.predict(tensor).digit == model.predict(data).digit
        info, handle = _lib.lib.di_model_info_default(), model._handle
        info_p = ctypes.byref(info)
        raw_tensor, raw_encoded = bare_ctypes(model, tensor, data)
        cases = [("python", "version", digitinfer.version),
                 ("python", "info", lambda: _lib.lib.di_model_get_info(handle, info_p)),
                 ("python", "tensor", lambda: model.predict(tensor)),
                 ("python", "encoded", lambda: model.predict(data)),
                 ("ctypes", "tensor", raw_tensor),
                 ("ctypes", "encoded", raw_encoded)]
        runs = per_call([fn for _, _, fn in cases], args.calls, args.repeats)
        # The stub swaps a module global: timed on their own, after the real calls.
        wrapper = [("wrapper", "tensor", stubbed(lambda: model.predict(tensor))),
                   ("wrapper", "encoded", stubbed(lambda: model.predict(data)))]
        runs += per_call([fn for _, _, fn in wrapper], args.calls, args.repeats)
        for (lang, name, _), times in zip(cases + wrapper, runs):
            report(lang, name, times, args.calls)
    print(f"# Python {sys.version.split()[0]}, numpy {np.__version__}, library {digitinfer.version()} "
          f"({digitinfer.library_path()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
