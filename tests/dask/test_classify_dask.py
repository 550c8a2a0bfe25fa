#!/usr/bin/env python3
"""examples/dask/classify_dask.py on a 2-process LocalCluster gives the single-process binding's results.

    test_classify_dask.py WORK_DIR        (the library: $DIGITINFER_LIBRARY; digitinfer on PYTHONPATH)

Writes a few hundred PNGs made from the repository's test images (and a few corrupt files) into
WORK_DIR, runs the example against a cluster on 127.0.0.1 (ports picked by the system), and compares
every row (file, digit, probability to 1e-6, error) with Model.predict, one file at a time, here.
"""
import csv
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

from PIL import Image
from distributed import Client, LocalCluster

import digitinfer

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models/convnet.dimodel"
SCRIPT = ROOT / "examples/dask/classify_dask.py"
TIMEOUT = 180  # seconds for the example's run; ctest's TIMEOUT bounds the whole test


def make_images(directory: Path) -> None:
    """Each test image as a gray PNG, and rotated both ways: ~350 files; plus corrupt ones."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    sources = sorted((ROOT / "tests/data/images").iterdir()) + sorted((ROOT / "examples/images").glob("*.png"))
    for i, source in enumerate(sources):
        with Image.open(source) as image, warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # Pillow's note on palette transparency
            gray = image.convert("L")
        for angle in (0, -12, 12):
            gray.rotate(angle, fillcolor=0).save(directory / f"{i:03d}-{source.stem}-r{angle}.png")
    for bad in sorted((ROOT / "tests/data/bad").iterdir())[:5]:  # failures must come back row by row too
        shutil.copy(bad, directory / f"bad-{bad.name}")


def reference(paths):
    """{file: (digit, probability or None, error)} from this process, one predict call per file."""
    rows = {}
    with digitinfer.Model(str(MODEL), threads=1) as model:
        for path in paths:
            try:
                p = model.predict(path)
                rows[path] = (p.digit, float(p.probability), "")
            except digitinfer.DigitInferError as error:
                rows[path] = (-1, None, str(error))
    return rows


def main() -> int:
    work = Path(sys.argv[1]).resolve()
    images = work / "images"
    make_images(images)
    paths = sorted(str(p) for p in images.iterdir())
    expected = reference(paths)
    assert len(paths) > 300 and sum(1 for e in expected.values() if e[2]) >= 3, "too few images or bad files"

    out = work / "results.csv"
    # Two worker processes, one thread each, on loopback; the dashboard off (it would take a port).
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", scheduler_port=0,
                      dashboard_address=None, local_directory=str(work / "dask-worker-space")) as cluster, \
            Client(cluster) as client:
        # --chunk 32: ~11 tasks, so both workers get some.
        run = subprocess.run([sys.executable, str(SCRIPT), "--scheduler", cluster.scheduler_address,
                              "--model", str(MODEL), "--out", str(out), "--chunk", "32", str(images)],
                             capture_output=True, text=True, timeout=TIMEOUT)
        print(run.stderr, end="")
        assert run.returncode == 1, f"exit status {run.returncode}, not 1 (some files are corrupt)"
        # One model per worker process, loaded by the plugin when the worker got it.
        loaded = client.run(lambda dask_worker: hasattr(dask_worker, "digitinfer_model"))
        assert len(loaded) == 2 and all(loaded.values()), f"model loaded on workers: {loaded}"
        used = [line for line in run.stderr.splitlines() if line.startswith("worker ")]
        assert len(used) == 2, f"expected both workers to classify images: {used}"

    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [row["file"] for row in rows] == paths, "the table's files are not the input files in order"
    mismatches = []
    for row in rows:
        digit, probability, error = expected[row["file"]]
        same = int(row["digit"]) == digit and row["error"] == error and (
            row["probability"] == "" if probability is None else abs(float(row["probability"]) - probability) <= 1e-6)
        if not same:
            mismatches.append(f"{row} != {(digit, probability, error)}")
    assert not mismatches, f"{len(mismatches)} rows differ:\n" + "\n".join(mismatches[:10])
    print(f"ok: {len(rows)} rows ({sum(1 for r in rows if r['error'])} errors) equal the single-process results")
    return 0


if __name__ == "__main__":  # the guard matters: worker processes are spawned, and re-import this file
    sys.exit(main())
