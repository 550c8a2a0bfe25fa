#!/usr/bin/env bash
# The HTTP-layer comparison of issue 9: cpp-httplib with its default thread pool (bench/http_layers/
# httplib_server.cpp) against digitinfer-server (Boost.Beast/Asio), same model, bodies and wrk runs as
# bench/server/run.sh, in one run.
#
#     bench/http_layers/run.sh [bench/server/bench.py options]    # default: --servers httplib,digitinfer
#
# 1. installs the library from $BUILD (default build) into $PREFIX (default /tmp/di-prefix), components
#    runtime, development, models;
# 2. builds the standalone project: cmake -S bench/http_layers -B build-http-layers
#    -DCMAKE_PREFIX_PATH=$PREFIX && cmake --build build-http-layers -j1;
# 3. runs bench/server/bench.py --servers httplib,digitinfer (digitinfer-server from $DIGITINFER_SERVER,
#    default build/examples/server/digitinfer-server; skipped with a message when it is not there).
# Output: bench/http_layers/out/<stamp>/ (results.md, runs.csv, starts.csv, logs/).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD="${BUILD:-build}"
PREFIX="${PREFIX:-/tmp/di-prefix}"
HL_BUILD="${HL_BUILD:-build-http-layers}"
if [ ! -e "$BUILD/libdigitinfer.so" ]; then
    echo "http_layers: $BUILD/libdigitinfer.so is missing: build the library first (cmake --preset release && cmake --build build)" >&2
    exit 1
fi
for c in runtime development models; do
    cmake --install "$BUILD" --prefix "$PREFIX" --component "$c" > /dev/null
done
cmake -S bench/http_layers -B "$HL_BUILD" -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$HL_BUILD" -j1
export HTTPLIB_SERVER="${HTTPLIB_SERVER:-$PWD/$HL_BUILD/httplib_server}"
args=("$@")
have_servers=0
for a in "${args[@]}"; do case "$a" in --servers|--servers=*) have_servers=1 ;; esac; done
[ "$have_servers" = 1 ] || args=(--servers httplib,digitinfer "${args[@]}")
have_out=0
for a in "${args[@]}"; do case "$a" in --out|--out=*) have_out=1 ;; esac; done
[ "$have_out" = 1 ] || args+=(--out "bench/http_layers/out/$(date -u +%Y%m%d-%H%M%S)")
exec /usr/bin/python3 bench/server/bench.py "${args[@]}"
