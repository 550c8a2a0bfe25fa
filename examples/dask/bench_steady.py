#!/usr/bin/env python3
"""Throughput of classify_dask.py's tasks once the cluster is warm (docs/dask.md#throughput).

    python3 examples/dask/bench_steady.py WORKERS DIRECTORY

Starts WORKERS local worker processes (one thread each), loads the model on each and runs a
warm-up chunk per worker, then times the classification of DIRECTORY's files in chunks of 256:
what a long run approaches, without the cluster's start and the workers' imports.
"""
import os
import sys
import time
from pathlib import Path

from distributed import Client, LocalCluster, wait

from classify_dask import SHIPPED_MODEL, LoadModel, classify_chunk, image_paths

if __name__ == "__main__":  # worker processes are spawned and re-import this file
    workers, paths = int(sys.argv[1]), list(image_paths([sys.argv[2]]))
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", scheduler_port=0,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.register_worker_plugin(LoadModel(Path(SHIPPED_MODEL).read_bytes(), 1))
        wait(client.map(classify_chunk, [paths[:64]] * (4 * workers), pure=False))  # imports, first calls
        cpu = sum(client.run(time.process_time).values())
        start = time.perf_counter()
        wait(client.map(classify_chunk, [paths[i:i + 256] for i in range(0, len(paths), 256)], pure=False))
        seconds = time.perf_counter() - start
        cpu = sum(client.run(time.process_time).values()) - cpu
    print(f"{workers} workers: {len(paths) / seconds:.0f} images/s ({len(paths)} in {seconds:.2f} s), "
          f"workers' CPU {cpu:.2f} s, load average {os.getloadavg()[0]:.1f}")
