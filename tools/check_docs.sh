#!/usr/bin/env bash
# Builds the API reference from docs/Doxyfile.in exactly as the CMake `docs` target does
# (configure_file @ONLY, then doxygen from the repository root) and fails on any Doxygen
# warning: every public C and C++ symbol of include/digitinfer must be documented.
#
#   tools/check_docs.sh [output-dir]   # default: a temporary directory, removed afterwards
#
# Exit status: 0 with zero warnings, 1 otherwise, 77 when doxygen is not installed.
# HAVE_DOT is YES when graphviz's dot renders a graph here, else NO; override it with
# DIGITINFER_DOXYGEN_HAVE_DOT=YES|NO.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

if ! command -v doxygen >/dev/null 2>&1; then
    echo "check_docs: doxygen is not installed (apt-get install doxygen graphviz): skipped" >&2
    exit 77
fi

# The version CMake reads (CMakeLists.txt takes it from the same line).
version=$(sed -n 's/^#define DI_VERSION_STRING "\(.*\)"$/\1/p' include/digitinfer/version.h)
[[ -n $version ]] || { echo "check_docs: no DI_VERSION_STRING in include/digitinfer/version.h" >&2; exit 1; }

# Graphs only when dot really works: a missing or broken graphviz would otherwise be a warning.
have_dot=${DIGITINFER_DOXYGEN_HAVE_DOT:-}
if [[ -z $have_dot ]]; then
    if command -v dot >/dev/null 2>&1 && echo 'digraph { a -> b }' | dot -Tsvg >/dev/null 2>&1; then
        have_dot=YES
    else
        have_dot=NO
    fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=${1:-$work/build}
mkdir -p "$out"
out=$(cd "$out" && pwd)

sed -e "s|@PROJECT_VERSION@|$version|g" \
    -e "s|@PROJECT_BINARY_DIR@|$out|g" \
    -e "s|@PROJECT_SOURCE_DIR@|$root|g" \
    -e "s|@DIGITINFER_DOXYGEN_HAVE_DOT@|$have_dot|g" \
    docs/Doxyfile.in >"$work/Doxyfile"
if grep -n '@[A-Za-z_]*@' "$work/Doxyfile" >&2; then
    echo "check_docs: docs/Doxyfile.in uses a variable this script does not set (above)" >&2
    exit 1
fi

status=0
doxygen "$work/Doxyfile" >"$work/stdout" 2>"$work/stderr" || status=$?
# Every line Doxygen writes to stderr is a warning or error (QUIET = YES silences progress).
sed "s|$root/||g" "$work/stderr" >&2
warnings=$(grep -c . "$work/stderr" || true)
echo "check_docs: doxygen $(doxygen --version), HAVE_DOT=$have_dot: $warnings warning(s), exit status $status"
if [[ $status -ne 0 || $warnings -ne 0 ]]; then
    exit 1
fi
if [[ ! -f $out/docs/html/index.html ]]; then
    echo "check_docs: no $out/docs/html/index.html" >&2
    exit 1
fi
if [[ $# -gt 0 ]]; then
    echo "check_docs: OK: $out/docs/html/index.html"
else
    echo "check_docs: OK (output removed; pass a directory to keep it)"
fi
