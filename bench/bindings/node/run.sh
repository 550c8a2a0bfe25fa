#!/bin/sh
# Per-call overhead of the Node binding against the C API (docs/bindings.md).
# Usage: bench/bindings/node/run.sh PREFIX [CALLS [REPEATS]]   (defaults 2000, 5)
# Runs the C baseline (bench/bindings/c/overhead.c) and overhead.js with the library of PREFIX and
# prints median and range per call. koffi comes from the work dir of bindings/node/run_tests.sh
# ($DIGITINFER_NODE_WORK, default $TMPDIR/digitinfer-node-$UID), installed there if missing.
set -eu
prefix=$(cd "${1:?usage: run.sh PREFIX [CALLS [REPEATS]]}" && pwd)
calls=${2:-2000}
repeats=${3:-5}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
work=${DIGITINFER_NODE_WORK:-${TMPDIR:-/tmp}/digitinfer-node-$(id -u)}
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export DIGITINFER_LIBRARY="$prefix/lib/libdigitinfer.so.1" DIGITINFER_CACHE_DIR=off
export NODE_PATH="$work/node_modules"
if [ ! -d "$work/node_modules/koffi" ]; then
    mkdir -p "$work"
    cp "$root/bindings/node/package.json" "$root/bindings/node/package-lock.json" "$work/"
    (cd "$work" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

date -u '+%Y-%m-%dT%H:%M:%SZ'
uptime
if cc -O2 "$root/bench/bindings/c/overhead.c" $(pkg-config --cflags --libs digitinfer) -o "$tmp/overhead_c"; then
    "$tmp/overhead_c" "$root/models/convnet.dimodel" "$root/examples/images/digit-7.png" "$calls" "$repeats"
fi
node "$here/overhead.js" --calls "$calls" --repeats "$repeats" \
    "$root/models/convnet.dimodel" "$root/examples/images/digit-7.png"
uptime
