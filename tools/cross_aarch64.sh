#!/usr/bin/env bash
# Cross-builds DigitInfer for aarch64 (Debian's g++-aarch64-linux-gnu, arm64
# multiarch -dev packages for the decoders, no libtorch) and runs the C API,
# unit, engine, fuzz-replay and ABI tests under qemu-user (docs/portability.md).
# Installs what is missing (apt-get; root or sudo). Exits nonzero on failure.
#
#   tools/cross_aarch64.sh            # build in build-aarch64/, run the tests
#   BUILD_DIR=/tmp/b JOBS=1 tools/cross_aarch64.sh
#
# Everything is built (library, tests, CLI, examples). Tests that cannot run
# cross are not run: python (host python3 with torch), package (installs and
# builds downstream programs with the host compiler), golden currency (host
# python3 with torch), load: and cli: (they name model_load_check and the CLI by
# path, so ctest does not put the emulator in front of them).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-aarch64}
JOBS=${JOBS:-2}
# The tests this script runs (ctest -R): the C API (api (no torch): ...), the
# preprocessing unit tests, the native engine, the fuzz seed replays and the
# exported-symbols check (host nm reads the aarch64 library).
TESTS=${TESTS:-'^(api|unit:|engine:|fuzz replay:|abi:)'}
# Left out by default: the memory test ("a batch beyond the 16 MiB cap does not
# pin its buffers ..."), 16384 images through the scalar engine on one thread:
# 570 s under qemu, over half the test time (EXCLUDE='' runs it too).
EXCLUDE=${EXCLUDE-'does not pin its buffers'}

t0=$(date +%s)
# ------------------------------------------------------------- packages
host_packages=(g++-aarch64-linux-gnu qemu-user cmake ninja-build pkg-config
               nlohmann-json3-dev catch2 libstb-dev libcli11-dev)  # these four: header-only, any arch
arm64_packages=(libjpeg62-turbo-dev:arm64 libdeflate-dev:arm64 zlib1g-dev:arm64)  # zlib: the CLI
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for p in "${host_packages[@]}" "${arm64_packages[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  dpkg --print-foreign-architectures | grep -qx arm64 || $sudo dpkg --add-architecture arm64
  echo "cross_aarch64: installing ${missing[*]}"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ------------------------------------------------------------- build
start=$(date +%s)
nice cmake -G Ninja -S . -B "$BUILD_DIR" \
  -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/aarch64-linux-gnu.cmake" \
  -DCMAKE_BUILD_TYPE=Release \
  -DDIGITINFER_WITH_TORCH=OFF -DDIGITINFER_BUILD_TESTS=ON
# catch_discover_tests lists each test binary's cases under qemu as it is built.
nice cmake --build "$BUILD_DIR" -j "$JOBS"
built=$(date +%s)

# The library really is aarch64.
readelf -h "$BUILD_DIR/libdigitinfer.so" | grep -q "Machine: *AArch64" ||
  { echo "cross_aarch64: $BUILD_DIR/libdigitinfer.so is not an aarch64 library"; exit 1; }

# ------------------------------------------------------------- test
# ctest runs each test binary through CMAKE_CROSSCOMPILING_EMULATOR (qemu-aarch64 -L ...).
set +e
exclude=()
[ -z "$EXCLUDE" ] || exclude=(-E "$EXCLUDE")
nice ctest --test-dir "$BUILD_DIR" -R "$TESTS" "${exclude[@]}" -j "$JOBS" --output-on-failure --timeout 900
status=$?
set -e
tested=$(date +%s)
echo "cross_aarch64: tests run: ctest -R '$TESTS'${EXCLUDE:+ -E '$EXCLUDE'} under qemu-aarch64"
echo "cross_aarch64: packages $((start - t0)) s, configure+build $((built - start)) s, qemu tests $((tested - built)) s"
exit $status
