#!/usr/bin/env bash
# Installs what is missing, builds the library and CLI, and predicts the bundled example image.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh --build-only
cmake --preset release -DDIGITINFER_BUILD_TESTS=OFF
cmake --build --preset release --target digitinfer_cli
build/examples/cli/digitinfer predict "${@:-examples/images/digit-7.png}"
