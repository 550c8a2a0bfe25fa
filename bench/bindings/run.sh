#!/bin/sh
# Per-call cost of every binding beside the C API, in one run (docs/bindings.md):
#   bench/bindings/run.sh PREFIX [CALLS [REPEATS [ROUNDS]]]     (defaults 2000, 5, 2)
# Each round runs each language's benchmark in turn (python, rust, go, node; each also runs the
# C baseline, bench/bindings/c/overhead.c, right before its own), so that load changes on a shared
# machine spread over all of them. Every line of output says which language and call it is.
set -eu
prefix=$(cd "${1:?usage: run.sh PREFIX [CALLS [REPEATS [ROUNDS]]]}" && pwd)
calls=${2:-2000}
repeats=${3:-5}
rounds=${4:-2}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${TMPDIR:-/tmp}/digitinfer-bench-rust}
model=$root/models/convnet.dimodel image=$root/examples/images/digit-7.png
cargo build -q --release --locked --manifest-path "$here/rust/Cargo.toml"
round=1
while [ "$round" -le "$rounds" ]; do
    echo "== round $round: $(date -u '+%Y-%m-%dT%H:%M:%SZ'), $(uptime)"
    sh "$here/python/run.sh" "$prefix" "$calls" "$repeats"
    cargo run -q --release --locked --manifest-path "$here/rust/Cargo.toml" -- "$model" "$image" "$calls" "$repeats"
    sh "$here/go/run.sh" "$prefix" "$calls" "$repeats"
    sh "$here/node/run.sh" "$prefix" "$calls" "$repeats"
    round=$((round + 1))
done
