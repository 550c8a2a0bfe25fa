#!/bin/sh
# Per-call overhead of the Go binding against the C API (docs/bindings.md).
# Usage: bench/bindings/go/run.sh PREFIX [CALLS [REPEATS]]   (defaults 2000, 5)
# Runs the C baseline (bench/bindings/c/overhead.c) and the Go benchmarks in
# this directory, each repeat timing CALLS calls, and prints median and range.
set -eu
prefix=$(cd "${1:?usage: run.sh PREFIX [CALLS [REPEATS]]}" && pwd)
calls=${2:-2000}
repeats=${3:-5}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly GOPROXY=off CGO_ENABLED=1
go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

date -u '+%Y-%m-%dT%H:%M:%SZ'
uptime
"$go" version
if cc -O2 "$root/bench/bindings/c/overhead.c" $(pkg-config --cflags --libs digitinfer) -o "$tmp/overhead_c"; then
    "$tmp/overhead_c" "$root/models/convnet.dimodel" "$root/examples/images/digit-7.png" "$calls" "$repeats"
fi
cd "$here"
"$go" test -run '^$' -bench . -benchmem -benchtime "${calls}x" -count "$repeats" . >"$tmp/go.txt"
# One line per benchmark and unit: median and range of the repeats (ns/op, and
# the paired benchmarks' binding-, cgo- and overhead-ns/op), with B and allocs per call.
awk -v calls="$calls" '
    /^Benchmark/ { name = $1; sub(/^Benchmark/, "", name); sub(/-[0-9]+$/, "", name)
                   for (i = 3; i < NF; i += 2) {
                       unit = $(i + 1)
                       if (unit == "B/op" || unit == "allocs/op") { mem[name, unit] = $i; continue }
                       key = name SUBSEP unit
                       if (!(key in n)) order[++keys] = key
                       v[key, ++n[key]] = $i
                   } }
    END { for (k = 1; k <= keys; k++) { key = order[k]; m = n[key]; split(key, part, SUBSEP)
              for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)   # sort the repeats
                  if (v[key, j] + 0 < v[key, i] + 0) { t = v[key, i]; v[key, i] = v[key, j]; v[key, j] = t }
              printf "go      %-18s %-15s median %8.0f  range %.0f..%.0f  (%d x %d calls; %s B, %s allocs per call)\n",
                     part[1], part[2], v[key, int((m + 1) / 2)], v[key, 1], v[key, m], m, calls,
                     mem[part[1], "B/op"], mem[part[1], "allocs/op"] } }' "$tmp/go.txt"
uptime
