#!/usr/bin/env bash
# Tests the Node binding and runs the Node example against an installed DigitInfer:
#   bindings/node/run_tests.sh <prefix> [<work dir>]
# <prefix> holds lib/libdigitinfer.so.1 and lib/pkgconfig/digitinfer.pc. npm installs the
# dependencies (koffi; typescript and @types/node for the type check) from package-lock.json into
# <work dir> (default: $TMPDIR/digitinfer-node-$UID), never into the source tree; its cache is npm's
# own (~/.npm). Exits non-zero on any failure, including a source tree left with new files, and
# 77 (skipped) without node >= 20, npm or pkg-config. DIGITINFER_WITH_TORCH=1/0 says whether the
# library has the libtorch plugin (the tests check it agrees; unset, they ask the library).
set -euo pipefail

if [[ $# -lt 1 || ! -d $1 ]]; then
    echo "usage: $0 <install prefix> [<work dir>]" >&2
    exit 2
fi
for tool in node npm pkg-config; do
    command -v "$tool" >/dev/null || { echo "skip: no $tool on PATH"; exit 77; } # CTest: SKIP_RETURN_CODE 77
done
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
    { echo "skip: node $(node --version) is older than 20"; exit 77; }
prefix=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(realpath -m "${2:-${DIGITINFER_BINDINGS_WORK:-${TMPDIR:-/tmp}/digitinfer-node-$(id -u)}}")
if [[ $work/ == "$here/"* ]] || { [[ $work/ == "$root/"* ]] && ! git -C "$root" check-ignore -q "$work" 2>/dev/null; }; then
    echo "work dir $work is inside the source tree (use a build directory or one outside)" >&2
    exit 2
fi
mkdir -p "$work"

pcfile=$(ls "$prefix"/lib*/pkgconfig/digitinfer.pc "$prefix"/lib/*/pkgconfig/digitinfer.pc 2>/dev/null | head -n1 || true)
[[ -n $pcfile ]] || { echo "no digitinfer.pc under $prefix/lib*/pkgconfig" >&2; exit 1; }
export PKG_CONFIG_PATH="$(dirname "$pcfile")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
libdir=$(pkg-config --variable=libdir digitinfer)
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
unset DIGITINFER_LIBRARY # the binding must find the prefix's library itself (pkg-config)
export DIGITINFER_CACHE_DIR="$work/model-cache" # compiled-model cache of the TorchScript loads
export NODE_PATH="$work/node_modules"           # the sources, in the tree, find koffi here

tree_state() { git -C "$root" status --porcelain --ignored -- bindings/node examples/node bench/bindings/node 2>/dev/null || true; }
before=$(tree_state)

echo "== dependencies into $work"
if ! cmp -s "$here/package-lock.json" "$work/package-lock.json" || [[ ! -d $work/node_modules/koffi ]]; then
    cp "$here/package.json" "$here/package-lock.json" "$work/"
    (cd "$work" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
fi

echo "== the library the binding loads"
loaded=$(cd "$here" && node -e "const d = require('.'); console.log(d.libraryPath + ' ' + d.version())")
echo "$loaded"
[[ ${loaded%% *} -ef $libdir/libdigitinfer.so.1 ]] || { echo "expected $libdir/libdigitinfer.so.1" >&2; exit 1; }

echo "== node --test"
(cd "$here" && timeout 600 node --test --test-timeout=300000 test/*.test.js)  # a hung test fails, not waits

echo "== tsc --noEmit (index.d.ts against test/types.ts)"
(cd "$here" && "$work/node_modules/.bin/tsc" --noEmit --strict --module commonjs --target es2022 \
    --typeRoots "$work/node_modules/@types" --types node test/types.ts)

echo "== the packed package installs and predicts"
rm -rf "$work/consumer" "$work"/digitinfer-*.tgz
tarball=$(cd "$work" && npm pack "$here" --pack-destination "$work" --loglevel=error | tail -n1)
mkdir -p "$work/consumer"
(cd "$work/consumer" && echo '{"name": "consumer", "private": true}' > package.json &&
    npm install "$work/$tarball" --no-audit --no-fund --prefer-offline --loglevel=error &&
    NODE_PATH= node -e "
      const { Model } = require('digitinfer');
      const m = new Model(process.argv[1]);
      const d = m.predict(process.argv[2]).digit;
      if (d !== 7) throw new Error('digit ' + d);
      console.log('installed package: digit', d);" "$root/models/convnet.dimodel" "$root/examples/images/digit-7.png")

echo "== examples/node/classify.js"
out=$(cd "$root" && node examples/node/classify.js examples/images/digit-7.png)
echo "$out"
[[ $out == "examples/images/digit-7.png: 7 (p="* ]] || { echo "the example did not print 7" >&2; exit 1; }

after=$(tree_state)
if [[ $before != "$after" ]]; then
    echo "the tests changed the source tree:" >&2
    diff <(echo "$before") <(echo "$after") >&2 || true
    exit 1
fi
echo "== Node binding: all passed"
