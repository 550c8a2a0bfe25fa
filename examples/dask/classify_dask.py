#!/usr/bin/env python3
"""Classifies a large set of image files across a Dask cluster with the DigitInfer Python binding.

    python3 classify_dask.py --scheduler tcp://HOST:8786 --out results.csv IMAGE_OR_DIRECTORY...
    python3 classify_dask.py --local 2 --out results.csv IMAGE_OR_DIRECTORY...   # a cluster on this machine

Each worker process loads the model once, when it joins (a worker plugin carries the model file's
bytes, so workers need the digitinfer package and the library, not the model file). The work is
chunks of file paths; every worker reads its files itself, so they must be at the same path on
every machine (a shared filesystem). The table has one row per file, in input order:
`file,digit,probability,error`; a file that cannot be read or decoded gets digit -1, an empty
probability and its error, and makes the exit status 1.
"""
import argparse
import csv
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Iterator, List, Tuple

from distributed import Client, LocalCluster, get_worker
from distributed.diagnostics.plugin import WorkerPlugin

SHIPPED_MODEL = Path(__file__).resolve().parents[2] / "models/convnet.dimodel"  # in a checkout
Row = Tuple[str, int, str, str]  # file, digit, probability, error


class LoadModel(WorkerPlugin):
    """Loads the model once per worker process; its tasks share it (a Model is thread-safe)."""

    name = "digitinfer-model"  # registering again (another run, another model) replaces it

    def __init__(self, model_bytes: bytes, threads: int):
        self.model_bytes, self.threads = model_bytes, threads

    def setup(self, worker):
        import digitinfer  # imported on the worker, not pickled from the client
        worker.digitinfer_model = digitinfer.Model(self.model_bytes, threads=self.threads)

    def teardown(self, worker):
        worker.digitinfer_model.close()


def classify_chunk(paths: List[str]) -> Tuple[str, List[Row]]:
    """Runs on a worker: one batched call over the chunk; returns the worker's address and the rows."""
    import digitinfer
    worker = get_worker()
    results = worker.digitinfer_model.predict_batch(paths, errors="return")
    rows = []
    for path, result in zip(paths, results):
        if isinstance(result, digitinfer.DigitInferError):
            rows.append((path, -1, "", str(result)))
        else:  # %.9g: a float32 exactly, so the table holds what the library returned
            rows.append((path, result.digit, f"{result.probability:.9g}", ""))
    return worker.address, rows


def image_paths(arguments: List[str]) -> Iterator[str]:
    """The files named, each directory replaced by its files, sorted."""
    for argument in map(Path, arguments):
        if argument.is_dir():
            yield from sorted(str(p) for p in argument.iterdir() if p.is_file())
        else:
            yield str(argument)  # a missing file gets its error row, as a corrupt one does


def classify(client: Client, model: str, paths: List[str], out: str, chunk: int, threads: int) -> Tuple[Counter, int]:
    """Writes the table to `out`; returns {worker address: images it classified} and the failures."""
    client.register_worker_plugin(LoadModel(Path(model).read_bytes(), threads))
    chunks = [paths[i:i + chunk] for i in range(0, len(paths), chunk)]
    # pure=False: a chunk is work to do, even if the same paths were classified before.
    futures = client.map(classify_chunk, chunks, pure=False)
    per_worker: Counter = Counter()
    failed = 0
    with open(out, "w", newline="") as f:
        table = csv.writer(f)
        table.writerow(("file", "digit", "probability", "error"))
        for future in futures:  # in input order; the cluster works on all chunks meanwhile
            address, rows = future.result()
            future.release()  # the rows are written: the cluster need not keep them
            table.writerows(rows)
            per_worker[address] += len(rows)
            failed += sum(1 for row in rows if row[3])
    return per_worker, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("images", nargs="+", help="image files or directories")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--scheduler", help="the scheduler's address, e.g. tcp://10.0.0.1:8786")
    where.add_argument("--local", type=int, metavar="N", help="start N worker processes on this machine instead")
    parser.add_argument("--model", default=str(SHIPPED_MODEL), help="a .dimodel, or TorchScript with the plugin")
    parser.add_argument("--out", required=True, help="the CSV table to write")
    parser.add_argument("--chunk", type=int, default=256, help="files per task and per batched call (256)")
    parser.add_argument("--threads", type=int, default=1,
                        help="library threads per call (1: the parallelism is the workers' threads)")
    args = parser.parse_args()
    if (args.local is not None and args.local < 1) or args.chunk < 1:
        parser.error("--local and --chunk take a positive count")

    paths = list(image_paths(args.images))
    start = time.perf_counter()
    if args.local is not None:  # one thread per process, on 127.0.0.1 only, ports chosen by the system
        cluster = LocalCluster(n_workers=args.local, threads_per_worker=1, processes=True, host="127.0.0.1",
                               scheduler_port=0, dashboard_address=None)
        client = Client(cluster)
    else:
        cluster, client = None, Client(args.scheduler, timeout=60)
    ready = time.perf_counter()
    try:
        per_worker, failed = classify(client, args.model, paths, args.out, args.chunk, args.threads)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    done = time.perf_counter()
    for address, count in sorted(per_worker.items()):
        print(f"worker {address}: {count} images", file=sys.stderr)
    print(f"{len(paths) - failed} classified, {failed} failed; {len(per_worker)} workers; "
          f"cluster ready in {ready - start:.2f} s, classified in {done - ready:.2f} s "
          f"({len(paths) / max(done - ready, 1e-9):.0f} images/s)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
