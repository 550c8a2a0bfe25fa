#!/usr/bin/python3
"""Checks the ONNX models make_onnx_models.py wrote (issue 15) through the C API (the ctypes
bindings over $DIGITINFER_LIBRARY):

    check_onnx.py MODELS_DIR parity     # each model vs ONNX Runtime on the golden images' tensors
    check_onnx.py MODELS_DIR refused    # each hostile/unsupported file: DI_ERR_MODEL, clear message

parity: every model of the manifest loads with di_model_load_file and di_model_load_memory, on
the native engine, and its probabilities and log-probabilities on the tensors of every golden
image (tests/data/golden.json's preprocessed pixels, normalized with the model's mean/std) agree
with ONNX Runtime's (also once compiled by di_model_export_native) (its raw outputs turned into probabilities as the output kind says) within
1e-5 (log-probabilities: 1e-5 relative), batched and one at a time; the ConvNet's digits are golden.json's. Needs onnxruntime.
refused: every file fails to load with DI_ERR_MODEL, from a file and from memory, its message
holding each expected phrase; and the process survives all of them.
"""
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))
import digitinfer  # noqa: E402

TOLERANCE = 1e-5


def golden_cases():
    golden = json.load(open(os.path.join(ROOT, "tests", "data", "golden.json")))
    return [c for c in golden["cases"] if c["model"] == "models/convnet.traced.pt"]


def scores_to_log_probabilities(raw, output):
    raw = raw.astype(np.float64)
    if output == "log_probabilities":
        return raw
    if output == "probabilities":
        return np.log(raw)
    m = raw.max(axis=1, keepdims=True)
    return raw - m - np.log(np.exp(raw - m).sum(axis=1, keepdims=True))


def parity(models_dir, manifest):
    import onnxruntime as ort

    cases = golden_cases()
    pixels = np.array([c["preprocessed"] for c in cases], np.float32).reshape(len(cases), 1, 28, 28)
    failures = []
    for entry in manifest["parity"]:
        path = os.path.join(models_dir, entry["file"])
        model = digitinfer.Model(path, threads=2)
        info = model.info
        problems = []
        if info.engine != digitinfer.Engine.NATIVE:
            problems.append(f"engine {info.engine}")
        if info.name != entry["name"]:
            problems.append(f"name {info.name!r}, expected {entry['name']!r}")
        if info.output_kind.c_name != entry["output"]:
            problems.append(f"output kind {info.output_kind.c_name}, expected {entry['output']}")
        mean, std = info.mean, info.std
        x = ((pixels / np.float32(255.0)) - np.float32(mean)) / np.float32(std)
        x = x.astype(np.float32)
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        raw = session.run(None, {session.get_inputs()[0].name: x})[0]
        expected_log = scores_to_log_probabilities(raw, entry["output"])
        expected = np.exp(expected_log)
        from_memory = digitinfer.Model(open(path, "rb").read(), threads=1)
        runs = {"batched": model.predict_tensor(x), "from memory": from_memory.predict_tensor(x)}
        # Compiled to a .dimodel (di_model_export_native): the same plan, so the same scores.
        compiled = os.path.join(models_dir, entry["file"] + ".dimodel")
        model.export_native(compiled)
        runs["as a .dimodel"] = digitinfer.Model(compiled, threads=2).predict_tensor(x)
        singles = [model.predict_tensor(x[i]) for i in range(len(x))]
        worst = worst_rel = 0.0
        for how, got in list(runs.items()) + [("one at a time", None)]:
            probs = np.concatenate([s.probabilities for s in singles]) if got is None else got.probabilities
            logs = np.concatenate([s.log_probabilities for s in singles]) if got is None else got.log_probabilities
            # Probabilities within 1e-5; log-probabilities within 1e-5 relative (|a - b| <= 1e-5 max(1, |b|)):
            # a log-probability of -28 carries float32 rounding of ~2e-6 per operation.
            d = float(np.abs(probs - expected).max())
            finite = np.isfinite(expected_log)
            rel = float((np.abs(logs - expected_log)[finite] / np.maximum(1.0, np.abs(expected_log[finite]))).max())
            worst, worst_rel = max(worst, d), max(worst_rel, rel)
            if not d <= TOLERANCE:
                problems.append(f"{how}: probabilities differ from ONNX Runtime's by {d:.3g}")
            if not rel <= TOLERANCE:
                problems.append(f"{how}: log-probabilities differ from ONNX Runtime's by {rel:.3g} (relative)")
        if entry.get("golden"):
            digits = runs["batched"].digits
            wrong = [c["image"] for c, d in zip(cases, digits) if d != c["digit"]]
            if wrong:
                problems.append(f"digits differ from golden.json on {wrong}")
            d = float(np.abs(runs["batched"].probabilities - np.array([c["probabilities"] for c in cases])).max())
            if not d <= TOLERANCE:
                problems.append(f"differs from golden.json's probabilities by {d:.3g}")
        status = "FAIL " + "; ".join(problems) if problems else "ok"
        print(f"{entry['file']}: {len(x)} golden tensors, vs ONNX Runtime: probabilities within {worst:.2g}, log-probabilities {worst_rel:.2g} (relative): {status}")
        if problems:
            failures.append(entry["file"])
    for s in manifest["skipped"]:
        print(f"skipped {s['name']}: {s['why']}")
    return failures


def refused(models_dir, manifest):
    failures = []
    for entry in manifest["refused"]:
        path = os.path.join(models_dir, entry["file"])
        for how, source in (("file", path), ("memory", open(path, "rb").read())):
            try:
                digitinfer.Model(source)
            except digitinfer.DigitInferError as e:
                missing = [p for p in entry["expect"] if p not in e.message]
                ok = e.status == "DI_ERR_MODEL" and not missing
                print(f"{entry['file']} ({how}): {e.status}: {e.message[:300]}" + ("" if ok else f"  <- FAIL, expected {entry['expect']}"))
                if not ok:
                    failures.append(entry["file"])
            else:
                print(f"{entry['file']} ({how}): loaded  <- FAIL, expected DI_ERR_MODEL")
                failures.append(entry["file"])
    return failures


def main():
    models_dir, what = sys.argv[1], sys.argv[2]
    manifest = json.load(open(os.path.join(models_dir, "manifest.json")))
    failures = parity(models_dir, manifest) if what == "parity" else refused(models_dir, manifest)
    if failures:
        print(f"{len(failures)} failed: {sorted(set(failures))}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
