#!/bin/sh
# CI entry point of the Go binding: bindings/go/run_tests.sh PREFIX
# PREFIX is an install prefix of the library (lib/pkgconfig/digitinfer.pc,
# lib/libdigitinfer.so.1). Runs go vet, the tests (again under the race
# detector), the example on examples/images/digit-7.png, and a one-call smoke
# run of the overhead benchmarks. Needs no network (no third-party modules);
# go builds into GOCACHE (default ~/.cache/go-build), nothing into the tree;
# temporary files go under $DIGITINFER_BINDINGS_WORK when CTest sets it.
# Exits 77 (skipped) when Go, a C compiler or pkg-config is not installed.
set -eu
prefix=$(cd "${1:?usage: run_tests.sh PREFIX}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

for libdir in "$prefix/lib" "$prefix/lib64" "$prefix/lib/x86_64-linux-gnu"; do
    [ -f "$libdir/pkgconfig/digitinfer.pc" ] && break
done
[ -f "$libdir/pkgconfig/digitinfer.pc" ] || { echo "no digitinfer.pc under $prefix" >&2; exit 1; }
export PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# The local toolchain, no module downloads, the go.mod files as they are.
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=readonly CGO_ENABLED=1
if [ -z "${GOCACHE:-}" ] && [ -z "${HOME:-}" ] && [ -z "${XDG_CACHE_HOME:-}" ]; then
    export GOCACHE="${TMPDIR:-/tmp}/digitinfer-go-build" GOPATH="${TMPDIR:-/tmp}/digitinfer-go-path"
fi
go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
skip() { echo "skip: $*"; exit 77; }
[ -x "$go" ] || command -v "$go" >/dev/null || skip "no Go toolchain (go on PATH, \$GO or /usr/local/go/bin/go)"
command -v "${CC:-cc}" >/dev/null || skip "no C compiler for cgo (${CC:-cc})"
command -v pkg-config >/dev/null || skip "no pkg-config (the binding's #cgo pkg-config: digitinfer)"
if [ -n "${DIGITINFER_BINDINGS_WORK:-}" ]; then
    mkdir -p "$DIGITINFER_BINDINGS_WORK"
    tmp=$(mktemp -d "$DIGITINFER_BINDINGS_WORK/run.XXXXXX")
else
    tmp=$(mktemp -d)
fi
trap 'rm -rf "$tmp"' EXIT

# The tree must be as clean afterwards as before.
tree_state() {
    git -C "$root" status --porcelain --ignored -- bindings/go examples/go bench/bindings/go 2>/dev/null || true
}
before=$(tree_state)

step() { echo "== $*"; }

step "go vet"
(cd "$here" && "$go" vet ./...)
(cd "$root/examples/go" && "$go" vet ./...)
(cd "$root/bench/bindings/go" && "$go" vet ./...)

step "go test"
(cd "$here" && "$go" test -count=1 ./...)
platform=$("$go" env GOOS)/$("$go" env GOARCH)
case $platform in
linux/amd64 | linux/arm64 | linux/ppc64le | linux/s390x | darwin/amd64 | darwin/arm64 | freebsd/amd64) race=1 ;;
*) race=0 ;;
esac
if [ "${DIGITINFER_GO_RACE:-$race}" != 0 ]; then
    step "go test -race"
    (cd "$here" && "$go" test -count=1 -race ./...)
else
    echo "(no race detector on $platform)"
fi

step "example: examples/go on examples/images/digit-7.png"
(cd "$root/examples/go" && "$go" build -o "$tmp/classify" .)
out=$(cd "$root/examples/go" && "$tmp/classify" ../images/digit-7.png)
echo "$out"
[ "$out" = "${out#../images/digit-7.png: 7 (p=}" ] && { echo "the example did not print 7" >&2; exit 1; }
if err=$(cd "$root/examples/go" && "$tmp/classify" ../../tests/data/bad/corrupt.png 2>&1); then
    echo "the example succeeded on a corrupt image" >&2; exit 1
fi
case $err in *DI_ERR_DECODE*) echo "$err" ;; *) echo "unexpected error: $err" >&2; exit 1 ;; esac

step "benchmarks compile and run (one call each)"
(cd "$root/bench/bindings/go" && "$go" test -run '^$' -bench . -benchtime 1x .)

after=$(tree_state)
if [ "$before" != "$after" ]; then
    echo "the tests changed the source tree:" >&2
    echo "$after" >&2
    exit 1
fi
echo "== Go binding: all passed"
