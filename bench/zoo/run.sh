#!/bin/bash
# The zoo benchmark (docs/benchmarks.md, "The models users bring (the zoo)"): builds the programs,
# then runs bench/zoo/bench_zoo.py (options pass through; see its --help).
#
#   bench/zoo/run.sh [--no-build] [bench_zoo.py options]
#
# Environment: BUILD (default build-bench), OLD_COMMIT (default 5274ed3, the library before the engine
# rewrite, built from `git archive` into /tmp/di-$OLD_COMMIT; empty: no before/after), JOBS (default 2),
# ORT_PYTHON (default /tmp/ort-venv/bin/python).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
OLD_COMMIT=${OLD_COMMIT-5274ed3}
JOBS=${JOBS:-2}
ORT_PYTHON=${ORT_PYTHON:-/tmp/ort-venv/bin/python}
build=1
if [[ ${1:-} == --no-build ]]; then build=0; shift; fi

if ((build)); then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDIGITINFER_BUILD_BENCHMARKS=ON \
    -DDIGITINFER_BUILD_SERVER=OFF -DDIGITINFER_BUILD_TESTS=OFF >/dev/null
  cmake --build "$BUILD" -j"$JOBS" --target digitinfer_bench plain_libtorch digitinfer
  if [[ -n $OLD_COMMIT ]]; then
    OLD=/tmp/di-$OLD_COMMIT
    if [[ ! -d $OLD/src ]]; then
      mkdir -p "$OLD/src.tmp"
      git -C "$ROOT" archive "$OLD_COMMIT" | tar -x -C "$OLD/src.tmp"
      mv "$OLD/src.tmp" "$OLD/src"
    fi
    cmake -S "$OLD/src/bench/side_by_side" -B "$OLD/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DDIGITINFER_SOURCE_DIR="$OLD/src" >/dev/null
    cmake --build "$OLD/build" -j"$JOBS" --target digitinfer_bench
  fi
fi
old_args=()
if [[ -n $OLD_COMMIT ]]; then
  old_args=(--old-build "/tmp/di-$OLD_COMMIT/build" --old-model "/tmp/di-$OLD_COMMIT/src/models/convnet.dimodel"
            --old-commit "$OLD_COMMIT")
fi
exec /usr/bin/python3 "$ROOT/bench/zoo/bench_zoo.py" --build-dir "$BUILD" --ort-python "$ORT_PYTHON" \
  "${old_args[@]}" "$@"
