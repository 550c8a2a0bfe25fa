#!/usr/bin/env bash
# Builds the Debian packages of DigitInfer (packaging/cpack.cmake, docs/packaging.md):
# libdigitinfer1, libdigitinfer-dev, libdigitinfer-torch1, digitinfer-tools, digitinfer-server.
#
#   packaging/deb/build_packages.sh BUILD_DIR OUT_DIR
#
# Configures BUILD_DIR when it has no CMakeCache.txt yet (Release, prefix /usr,
# multiarch libdir, libtorch plugin + CLI + server, no tests/examples/benchmarks,
# Debian's hardening flags from dpkg-buildflags), builds it (-j${JOBS:-2}), runs
# cpack, copies the .deb files to OUT_DIR, runs lintian on each (fails on any
# error or warning tag not overridden) and prints `dpkg-deb -I` / `-c` of each.
# Needs: cmake, ninja, dpkg-dev (dpkg-shlibdeps), file, lintian, and the build
# dependencies (tools/deps.sh --build-only).
set -euo pipefail

if [ $# -ne 2 ]; then
  sed -n '2,13p' "$0" >&2
  exit 2
fi
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$1
out=$2
jobs=${JOBS:-2}
for tool in cmake ninja dpkg-shlibdeps dpkg-architecture dpkg-buildflags file lintian; do
  command -v "$tool" >/dev/null || { echo "build_packages: needs $tool (apt-get install cmake ninja-build dpkg-dev file lintian)" >&2; exit 1; }
done

step_start=0
step() { step_start=$SECONDS; echo "== $*"; }
step_done() { echo "   ($((SECONDS - step_start)) s)"; }

mkdir -p "$build" "$out"
build=$(cd "$build" && pwd)
out=$(cd "$out" && pwd)

if [ ! -f "$build/CMakeCache.txt" ]; then
  step "configure $build"
  multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
  # Debian's flags (what debhelper would pass), hardening=+all: fortify, stack
  # protector, relro + bindnow, PIE. CMake reads CFLAGS/CXXFLAGS/LDFLAGS from the
  # environment only at the first configure; CPPFLAGS it does not read at all.
  # No -g: the packages are stripped and there are no -dbgsym packages.
  export DEB_BUILD_MAINT_OPTIONS=hardening=+all
  cd "$repo"  # dpkg-buildflags maps the current directory in -ffile-prefix-map
  cppflags=$(dpkg-buildflags --get CPPFLAGS)
  nog() { sed 's/\(^\| \)-g\( \|$\)/ /' <<<"$1"; }
  CFLAGS="$cppflags $(nog "$(dpkg-buildflags --get CFLAGS)")" \
  CXXFLAGS="$cppflags $(nog "$(dpkg-buildflags --get CXXFLAGS)")" \
  LDFLAGS="$(dpkg-buildflags --get LDFLAGS)" \
  cmake -S "$repo" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
    -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_LIBDIR="lib/$multiarch" \
    -DCMAKE_SKIP_INSTALL_RPATH=ON \
    -DDIGITINFER_WITH_TORCH=ON -DDIGITINFER_BUILD_CLI=ON -DDIGITINFER_BUILD_SERVER=ON \
    -DDIGITINFER_BUILD_TESTS=OFF -DDIGITINFER_BUILD_EXAMPLES=OFF -DDIGITINFER_BUILD_BENCHMARKS=OFF
  step_done
fi
# RPATH: none. The programs find libdigitinfer.so.1 in the multiarch libdir
# (the default search path); the library finds its plugin beside itself.

step "build (-j$jobs)"
cmake --build "$build" -j "$jobs"
step_done

step "cpack -G DEB"
rm -f "$build"/packages/*.deb
(cd "$build" && cpack -G DEB --config CPackConfig.cmake -B "$build/packages")
mapfile -t debs < <(find "$build/packages" -maxdepth 1 -name '*.deb' | LC_ALL=C sort)
[ ${#debs[@]} -gt 0 ] || { echo "build_packages: cpack made no .deb" >&2; exit 1; }
rm -f "$out"/*.deb
cp "${debs[@]}" "$out/"
step_done

server_deb=$(find "$out" -maxdepth 1 -name 'digitinfer-server_*.deb' | head -n 1)
if [ -z "$server_deb" ]; then
  echo "== systemd unit: no digitinfer-server package"
elif ! command -v systemd-analyze >/dev/null; then
  echo "== systemd unit: SKIP: systemd-analyze is not installed (apt-get install systemd)"
else
  step "systemd-analyze verify digitinfer-server.service (any message fails)"
  # In a root made of the packages and the system's own units (for the targets
  # the unit names): ExecStart must exist there, every key must be known.
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  for deb in "$out"/*.deb; do dpkg-deb -x "$deb" "$root"; done
  cp -rn /lib/systemd/system/. "$root/usr/lib/systemd/system/"
  verify=$(systemd-analyze verify --man=no --root="$root" /usr/lib/systemd/system/digitinfer-server.service 2>&1) \
    && [ -z "$verify" ] || { echo "$verify"; echo "build_packages: FAIL: systemd-analyze verify" >&2; exit 1; }
  rm -rf "$root"
  echo "   ok"
  step_done
fi

step "lintian (errors and warnings fail; overrides: packaging/deb/lintian/)"
# One run shows every tag: -I info, O: overridden (each override says why);
# docs/packaging.md explains the info tags. The verdict is read from the output,
# since with --show-overrides lintian's --fail-on counts overridden tags too.
lintian_out=$(lintian --fail-on none -I --show-overrides --tag-display-limit 0 "$out"/*.deb 2>&1) \
  || { echo "$lintian_out"; echo "build_packages: FAIL: lintian did not run" >&2; exit 1; }
echo "$lintian_out" | grep -v '^running with root privileges' || true
lintian_bad=$(grep -cE '^[EW]: ' <<<"$lintian_out" || true)
echo "   lintian: $lintian_bad error/warning tags, $(grep -cE '^I: ' <<<"$lintian_out" || true) info, $(grep -cE '^O: ' <<<"$lintian_out" || true) overridden"
step_done

step "packages in $out"
for deb in "$out"/*.deb; do
  echo "---------------------------------------------------------------- $(basename "$deb") ($(stat -c %s "$deb") bytes)"
  dpkg-deb -I "$deb"
  dpkg-deb -c "$deb" | awk '{ $2 = ""; $4 = ""; $5 = ""; print }'
done
if [ "$lintian_bad" -ne 0 ]; then
  echo "build_packages: FAIL: lintian: $lintian_bad error/warning tags (above)" >&2
  exit 1
fi
echo "build_packages: OK: ${#debs[@]} packages in $out"
