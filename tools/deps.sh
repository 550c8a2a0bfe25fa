#!/usr/bin/env bash
# Installs the Debian 12 packages DigitInfer needs to build, test and run its
# Python reference (skipped when all are present). Needs root or sudo.
#   --no-torch    only what the libtorch-free build (DIGITINFER_WITH_TORCH=OFF) needs
#   --build-only  only what building the library, CLI and server needs: no test,
#                 benchmark or browser tools (what a container's build stage wants)
set -euo pipefail
with_torch=1
with_tests=1
for arg in "$@"; do
  case "$arg" in
    --no-torch) with_torch=0 ;;
    --build-only) with_tests=0 ;;
    *) echo "usage: $0 [--no-torch] [--build-only]" >&2; exit 2 ;;
  esac
done
packages=(
  build-essential cmake ninja-build pkg-config
  libstb-dev libjpeg62-turbo-dev libdeflate-dev zlib1g-dev  # image decoders (JPEG: libjpeg-turbo's libjpeg API)
  nlohmann-json3-dev libcli11-dev             # JSON, command lines
  libprotobuf-dev protobuf-compiler           # ONNX models (src/onnx: onnx.proto, protobuf-lite)
  libboost-dev libspdlog-dev prometheus-cpp-dev  # digitinfer-server: Beast/Asio, logs, metrics
)
if [ "$with_tests" = 1 ]; then
  packages+=(
    catch2 python3-pytest                     # the C++ and the Python bindings' tests
    libbenchmark-dev                          # bench/ (DIGITINFER_BUILD_BENCHMARKS=ON)
    libpng-dev libturbojpeg0                  # libpng: the PNG differential check; libturbojpeg: tools/format_corpus.py
    python3-requests prometheus               # the server's tests: the Python client, promtool
    python3-distributed                       # examples/dask and its LocalCluster test
    python3-onnx                              # tools/export_onnx.py: metadata_props, onnx.checker
    chromium                                  # the drawing page's test (with puppeteer-core from npm)
    clang                                     # the libFuzzer build (tools/test.sh fuzz)
    libclang-rt-14-dev                        # clang's libFuzzer, ASan and UBSan runtimes
    libomp-14-dev                             # OpenMP for clang (omp_set_num_threads in a forked child, for libtorch)
    valgrind                                  # memcheck on the C API tests (tools/test.sh valgrind)
    doxygen graphviz                          # the API reference, checked for zero warnings (tools/check_docs.sh)
    abigail-tools                             # abidw/abidiff: the ABI gate against tests/abi's baseline
  )
  # Node.js may come from elsewhere (NodeSource ships npm inside nodejs): Debian's only when absent.
  command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
fi
if [ "$with_torch" = 1 ]; then
  packages+=(libtorch-dev libopenblas0-pthread)  # libtorch 1.13 (CPU) and a fast BLAS for it: the plugin
  [ "$with_tests" = 1 ] && packages+=(python3-torch python3-torchvision python3-pil python3-numpy)  # the reference
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
