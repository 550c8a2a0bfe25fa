#!/usr/bin/env bash
# Installs what is missing, builds everything (Release) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
cmake --preset release -DDIGITINFER_BUILD_TESTS=ON
cmake --build --preset release
# The version header is generated from CMakeLists.txt and committed: it must be current.
if command -v git >/dev/null && git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git diff --exit-code -- include/digitinfer/version.h || { echo "include/digitinfer/version.h is stale: commit it"; exit 1; }
fi
ctest --preset release -j2
