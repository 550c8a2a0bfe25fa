#!/usr/bin/env bash
# The thread policy, measured: libdigitinfer builds side by side (e.g. before and
# after a change), each with the default thread count (0) and with 1, for one
# image per call, batches of 2 to 64, and 8 threads calling at once; on the
# machine as it is, then with a CPU hog on one core. Rounds interleave the builds.
#
#   bench/threads/run.sh LIBDIR... [-- ROUNDS]
#
# LIBDIR: a directory holding libdigitinfer.so.1 (a build tree). Prints one line
# per run: load, library, threads, callers, batch, then calls' output (wall and
# CPU microseconds per image). Where LIBDIR/examples/cli/digitinfer exists, also
# `digitinfer predict` over 2,000 image files, one call per file (the CLI's
# default), with -t 0 and -t 1: wall and CPU seconds. Results: docs/benchmarks.md,
# "Threads".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
libs=()
rounds=3
while [ $# -gt 0 ]; do
  case $1 in
    --) rounds=$2; shift 2 ;;
    *) libs+=("$1"); shift ;;
  esac
done
[ ${#libs[@]} -gt 0 ] || { sed -n '2,11p' "$0" >&2; exit 2; }
work=$(mktemp -d)
hog=
trap '[ -n "$hog" ] && kill "$hog" 2>/dev/null; rm -rf "$work"' EXIT
cc -O2 -std=c99 -Wall -Wextra -pedantic -I"$repo/include" "$here/calls.c" -o "$work/calls" \
  -L"${libs[0]}" -ldigitinfer -lpthread
images=("$repo"/tests/data/images/*-28x28.png)
model=$repo/models/convnet.dimodel
mkdir "$work/files"
for i in $(seq 0 79); do
  for f in "${images[@]}"; do cp "$f" "$work/files/$i-$(basename "$f")"; done
done
echo "# $(date -u +%FT%TZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), load $(cut -d' ' -f1-3 /proc/loadavg)"
# callers batch calls: about 4,000 images per run.
cases=("1 1 4000" "1 2 2000" "1 4 1000" "1 8 500" "1 16 250" "1 64 63" "8 1 500" "8 16 32")
for load in idle hog; do
  if [ "$load" = hog ]; then
    sh -c 'while :; do :; done' &
    hog=$!
  fi
  for round in $(seq "$rounds"); do
    for c in "${cases[@]}"; do
      read -r callers batch calls <<<"$c"
      for lib in "${libs[@]}"; do
        for threads in 0 1; do
          printf '%-4s %-28s t=%s callers=%s batch=%-2s ' "$load" "$lib" "$threads" "$callers" "$batch"
          DIGITINFER_CACHE_DIR=off LD_LIBRARY_PATH=$lib "$work/calls" "$model" "$threads" "$callers" "$batch" \
            "$calls" "${images[@]}"
        done
      done
    done
    for lib in "${libs[@]}"; do
      [ -x "$lib/examples/cli/digitinfer" ] || continue
      for threads in 0 1; do
        printf '%-4s %-28s t=%s digitinfer predict, %s files: ' "$load" "$lib" "$threads" "$(ls "$work/files" | wc -l)"
        DIGITINFER_CACHE_DIR=off LD_LIBRARY_PATH=$lib /usr/bin/time -f 'wall %e s  cpu %U+%S s' \
          "$lib/examples/cli/digitinfer" predict -m "$model" -t "$threads" "$work"/files/* 2>&1 >/dev/null | tail -1
      done
    done
  done
done
