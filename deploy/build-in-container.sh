#!/bin/sh
# Used by deploy/Dockerfile's build stages: configure, build and install
# DigitInfer into /opt/digitinfer, then record which Debian packages the
# installed ELF files need. Usage: build-in-container.sh ON|OFF (libtorch plugin) [JOBS]
set -eu
with_torch=$1
jobs=${2:-2}
prefix=/opt/digitinfer
# The library, the CLI and the server only (no tests, examples, benchmarks):
# the default build target is then exactly what the image ships.
cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DDIGITINFER_WITH_TORCH="$with_torch" -DDIGITINFER_BUILD_SERVER=ON -DDIGITINFER_BUILD_CLI=ON \
  -DDIGITINFER_BUILD_TESTS=OFF -DDIGITINFER_BUILD_EXAMPLES=OFF -DDIGITINFER_BUILD_BENCHMARKS=OFF
cmake --build /build -j "$jobs"
# Install components: runtime (libdigitinfer.so.1), server, cli, models and the
# torch plugin; not `development` (headers, CMake package, pkg-config, .so link).
components="runtime server cli models"
[ "$with_torch" = ON ] && components="$components torch_plugin"
for c in $components; do cmake --install /build --strip --component "$c"; done

# The Debian packages that own the libraries the installed files need directly
# (their DT_NEEDED entries, resolved by ldd, owned per dpkg -S). The runtime
# stage checks that each is installed (deploy/check-runtime-libs.sh).
cd "$prefix"
files=$(find bin lib -type f \( -perm -u+x -o -name '*.so*' \))
for f in $files; do objdump -p "$f" | awk '$1 == "NEEDED" {print $2}'; done | sort -u > /tmp/needed
for f in $files; do ldd "$f"; done | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | sort -u > /tmp/resolved
# dpkg records a library under the path its package ships it at, which on a
# merged-/usr system may be /lib/... or /usr/lib/...: try the path ldd gives,
# its real path, and both with and without the /usr prefix.
owner() {
  for p in "$1" "$(readlink -f "$1")"; do
    for q in "$p" "/usr${p#/usr}" "${p#/usr}"; do
      o=$(dpkg -S "$q" 2>/dev/null | head -n 1 | cut -d: -f1)
      [ -n "$o" ] && { echo "$o"; return 0; }
    done
  done
  echo "build-in-container: no Debian package owns $1" >&2
  return 1
}
awk 'NR == FNR {needed[$1]; next} ($1 in needed) {print $2}' /tmp/needed /tmp/resolved \
  | grep -v "^$prefix/" | sort -u > /tmp/libraries
: > /tmp/packages
for lib in $(cat /tmp/libraries); do owner "$lib" >> /tmp/packages || exit 1; done
sort -u /tmp/packages > share/digitinfer/runtime-packages.txt
echo "== installed:"; find "$prefix" -type f | sort
echo "== NEEDED:"; tr '\n' ' ' < /tmp/needed; echo
echo "== runtime packages:"; tr '\n' ' ' < share/digitinfer/runtime-packages.txt; echo
