#!/bin/sh
# Per-call overhead of the Python binding against the C API (docs/bindings.md).
# Usage: bench/bindings/python/run.sh PREFIX [CALLS [REPEATS]]   (defaults 2000, 5)
# Runs the C baseline (bench/bindings/c/overhead.c) and overhead.py, in this
# directory, with the library of PREFIX, and prints median and range per call.
set -eu
prefix=$(cd "${1:?usage: run.sh PREFIX [CALLS [REPEATS]]}" && pwd)
calls=${2:-2000}
repeats=${3:-5}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
python=${PYTHON:-/usr/bin/python3}
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export DIGITINFER_LIBRARY="$prefix/lib/libdigitinfer.so.1" PYTHONPATH="$root/bindings/python"
export PYTHONDONTWRITEBYTECODE=1 DIGITINFER_CACHE_DIR=off
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

date -u '+%Y-%m-%dT%H:%M:%SZ'
uptime
if cc -O2 "$root/bench/bindings/c/overhead.c" $(pkg-config --cflags --libs digitinfer) -o "$tmp/overhead_c"; then
    "$tmp/overhead_c" "$root/models/convnet.dimodel" "$root/examples/images/digit-7.png" "$calls" "$repeats"
fi
"$python" "$here/overhead.py" --calls "$calls" --repeats "$repeats" \
    "$root/models/convnet.dimodel" "$root/examples/images/digit-7.png"
uptime
