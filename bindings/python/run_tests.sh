#!/bin/sh
# CI entry point of the Python binding: bindings/python/run_tests.sh PREFIX
#
# PREFIX is an install prefix of the freshly built library (PREFIX/lib/libdigitinfer.so.1). Builds the
# wheel that bundles that library, installs it into a fresh virtual environment (with pytest and Pillow
# from PyPI; numpy comes as the wheel's dependency), checks that it predicts with nothing set, runs the
# test suite against the installed package, then the example and a short run of the benchmark.
# Exits non-zero on any failure, and if the source tree changed.
#
# Downloads go to pip's cache in $DIGITINFER_BINDINGS_CACHE/python (default
# ${TMPDIR:-/tmp}/digitinfer-bindings-cache/python), never into the source tree.
set -eu
prefix=$(cd "${1:?usage: run_tests.sh PREFIX}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
python=${DIGITINFER_PYTHON:-/usr/bin/python3}
cache=${DIGITINFER_BINDINGS_CACHE:-${TMPDIR:-/tmp}/digitinfer-bindings-cache}/python
library="$prefix/lib/libdigitinfer.so.1"
[ -e "$library" ] || { echo "run_tests.sh: no $library" >&2; exit 1; }

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PIP_CACHE_DIR="$cache/pip" PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
export PYTHONDONTWRITEBYTECODE=1 DIGITINFER_CACHE_DIR=off DIGITINFER_INCLUDE_DIRS="$prefix/include"
# Empty, not unset: the tests then load what the installed package finds itself (its bundled copy of
# PREFIX's library), not a checkout's build/.
export DIGITINFER_LIBRARY=
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tree_state() {
    git -C "$root" status --porcelain --ignored --untracked-files=all -- \
        bindings/python examples/python bench/bindings/python 2>/dev/null || true
}
before=$(tree_state)

echo "== wheel bundling $library"
"$python" -m venv "$work/venv"
venv="$work/venv/bin/python"
# The Pillow golden.json was made with: PIL.Image inputs must give the reference's results exactly.
pillow=$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["pillow"])' "$root/tests/data/golden.json")
"$venv" -m pip install -q pytest "pillow==$pillow"
DIGITINFER_BUNDLE_LIBRARY="$library" "$venv" -m pip wheel -q --no-deps -w "$work/dist" "$here"
ls "$work/dist"
"$venv" -m pip install -q "$work"/dist/digitinfer-*.whl

echo "== the installed wheel predicts with nothing set"
(cd "$work" && env -i PATH=/usr/bin:/bin HOME="$work" DIGITINFER_CACHE_DIR=off "$venv" -c '
import digitinfer, sys
path = digitinfer.library_path()
assert path.startswith(digitinfer.__path__[0]), path  # the bundled copy
with digitinfer.Model(sys.argv[1]) as model:
    p = model.predict(sys.argv[2])
print(f"digit {p.digit} (p = {p.probability:.4f}) with {path}")
assert p.digit == 7
' "$root/models/convnet.dimodel" "$root/examples/images/digit-7.png")

echo "== tests"
# Against the installed package: an ini of our own keeps pyproject.toml's pythonpath (the source) out.
printf '[pytest]\nmarkers =\n    venv: builds wheels into fresh virtual environments\n' >"$work/pytest.ini"
(cd "$work" && "$venv" -m pytest -c "$work/pytest.ini" --rootdir "$work" -p no:cacheprovider -q -rs "$here/tests")

echo "== example"
"$venv" "$root/examples/python/classify.py" "$root/examples/images" | tee "$work/example.txt"
grep -q "digit-7.png	7	" "$work/example.txt"
grep -q "digit-2.png	2	" "$work/example.txt"
if "$venv" "$root/examples/python/classify.py" "$root/tests/data/bad/corrupt.png" >"$work/bad.txt"; then
    echo "run_tests.sh: the example succeeded on a corrupt file" >&2
    exit 1
fi
grep -q "	error	DI_ERR_DECODE" "$work/bad.txt"

echo "== benchmark (a short run: it works)"
"$venv" "$root/bench/bindings/python/overhead.py" --calls 20 --repeats 1

after=$(tree_state)
if [ "$after" != "$before" ]; then
    echo "run_tests.sh: the source tree changed:" >&2
    printf '%s\n' "$after" >&2
    exit 1
fi
echo "== python: all passed"
