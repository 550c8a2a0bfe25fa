#!/usr/bin/env bash
# Tests the Rust binding against the DigitInfer installed in <prefix>: `cargo test` of the
# workspace (layout, golden parity, API, errors, threads), then the example on
# examples/images/digit-7.png (it must print 7), then a short run of the overhead benchmark.
#
#     bindings/rust/run_tests.sh <prefix>
#
# Build products go to $CARGO_TARGET_DIR, else $DIGITINFER_BINDINGS_WORK/rust-target, else
# ${TMPDIR:-/tmp}/digitinfer-bindings/rust-target: never into the source tree. Crates come from the
# registry into $CARGO_HOME (~/.cargo), as pinned by the committed Cargo.lock files (--locked).
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 <prefix>   (an install prefix of DigitInfer: <prefix>/lib/pkgconfig/digitinfer.pc)" >&2
    exit 2
fi
prefix=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

libdir=
for dir in "$prefix/lib" "$prefix/lib64" "$prefix"/lib/*-linux-gnu; do
    if [ -f "$dir/pkgconfig/digitinfer.pc" ]; then libdir=$dir; break; fi
done
if [ -z "$libdir" ]; then
    echo "$0: no digitinfer.pc under $prefix/lib*/pkgconfig" >&2
    exit 1
fi
export PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${DIGITINFER_BINDINGS_WORK:-${TMPDIR:-/tmp}/digitinfer-bindings}/rust-target}"
# rustup installs into ~/.cargo/bin, which a non-login shell may not have on PATH.
if ! command -v cargo >/dev/null && [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" ]; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi
if ! command -v cargo >/dev/null; then
    echo "$0: skipped: cargo is not on PATH (install Rust: rustup, or Debian's cargo)" >&2
    exit 77
fi

echo "== cargo test (bindings/rust) against $prefix; target dir $CARGO_TARGET_DIR"
skipped="$CARGO_TARGET_DIR/tmp/skipped.txt" # what the tests left out (tests/common/mod.rs: skip)
rm -f "$skipped"
cargo test --locked --manifest-path "$here/Cargo.toml" --workspace
if [ -s "$skipped" ]; then cat "$skipped"; fi

echo "== example (examples/rust)"
cargo build --locked --quiet --manifest-path "$root/examples/rust/Cargo.toml"
example="$CARGO_TARGET_DIR/debug/predict_rust"
output=$(cd "$root" && "$example" examples/images/digit-7.png)
echo "$output"
if ! grep -Eq '^examples/images/digit-7\.png: 7 \(p=[01]\.[0-9]{4}\)$' <<<"$output"; then
    echo "$0: the example did not print 7 for examples/images/digit-7.png" >&2
    exit 1
fi
# An undecodable file is reported with its status and fails the run.
if (cd "$root" && "$example" tests/data/bad/corrupt.png 2>/dev/null); then
    echo "$0: the example succeeded on tests/data/bad/corrupt.png" >&2
    exit 1
fi

echo "== overhead benchmark (bench/bindings/rust), a short smoke run"
cargo build --locked --quiet --release --manifest-path "$root/bench/bindings/rust/Cargo.toml"
(cd "$root" && "$CARGO_TARGET_DIR/release/overhead_rust" models/convnet.dimodel examples/images/digit-7.png 20 1)

echo "rust bindings: tests, example and benchmark smoke run passed"
