#!/bin/bash
# `conan create` of packaging/conan, offline, with Debian 12's packages as the
# dependencies (profiles/debian12: [platform_requires]), once per variant:
#   shared-cli  shared=True with the CLI (cli=True)
#   static      shared=False (libdigitinfer.a, no CLI)
#   torch       shared=True with_torch=True (the libtorch plugin; Debian's libtorch-dev)
# each followed by test_package (the packaged model predicts examples/images/digit-7.png: 7).
# Prints each step's time; exits non-zero when any create fails.
#
# Environment (defaults):
#   CONAN_VENV=/tmp/conan-venv              a venv with Conan 2 (created if missing, pip install conan)
#   CONAN_HOME=/tmp/conan-work/home         Conan's cache and config (kept apart from ~/.conan2)
#   CONAN_TEST_BUILD=/tmp/conan-work/test_package   test_package's build folders (not in the source tree)
#   JOBS=2                                  parallel compile jobs
#   DIGITINFER_CONAN_VARIANTS="shared-cli static torch"   which to run
set -u

here=$(cd "$(dirname "$0")" && pwd)
venv=${CONAN_VENV:-/tmp/conan-venv}
export CONAN_HOME=${CONAN_HOME:-/tmp/conan-work/home}
test_build=${CONAN_TEST_BUILD:-/tmp/conan-work/test_package}
jobs=${JOBS:-2}
variants=${DIGITINFER_CONAN_VARIANTS:-shared-cli static torch}
profile=$here/profiles/debian12

step() { printf '\n==== %s\n' "$*"; }

start=$SECONDS
if [ ! -x "$venv/bin/conan" ]; then
  step "creating $venv (pip install 'conan>=2,<3')"
  /usr/bin/python3 -m venv "$venv" && "$venv/bin/pip" install --quiet 'conan>=2,<3' || {
    echo "error: could not install Conan 2 into $venv" >&2
    exit 1
  }
fi
conan=$venv/bin/conan
"$conan" --version || exit 1
echo "CONAN_HOME=$CONAN_HOME"
mkdir -p "$CONAN_HOME"

status=0
summary=()
for variant in $variants; do
  case $variant in
    shared-cli) options=(-o '&:shared=True' -o '&:cli=True') ;;
    static)     options=(-o '&:shared=False') ;;
    torch)      options=(-o '&:shared=True' -o '&:with_torch=True') ;;
    *) echo "error: unknown variant '$variant' (shared-cli, static, torch)" >&2; exit 2 ;;
  esac
  step "conan create ($variant: ${options[*]})"
  t0=$SECONDS
  # -nr: no remote is consulted (every dependency is a [platform_requires] of the profile).
  # No --build: create builds digitinfer from source every time (and nothing else).
  "$conan" create "$here" -pr:h "$profile" -pr:b "$profile" -nr \
    "${options[@]}" \
    -c "tools.build:jobs=$jobs" \
    -c "tools.cmake.cmake_layout:test_folder=$test_build/$variant"
  rc=$?
  t=$((SECONDS - t0))
  if [ $rc -eq 0 ]; then
    summary+=("ok     ${t}s  $variant")
  else
    summary+=("FAILED ${t}s  $variant (conan exit status $rc)")
    status=1
  fi
done

step "summary"
printf '%s\n' "${summary[@]}"
echo "total $((SECONDS - start))s, CONAN_HOME=$CONAN_HOME"
exit $status
