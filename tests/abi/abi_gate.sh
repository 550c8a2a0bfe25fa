#!/usr/bin/env bash
# The C ABI gate (docs/packaging.md, "ABI"): libabigail reads the library's ABI
# from its DWARF (the C API's translation units are always built with -g) and the
# public headers, and compares it with the baseline committed for this major
# version.
#   abi_gate.sh check LIB [BASELINE]   fail on any change abidiff reports that the
#                                      suppressions do not allow; additions pass
#   abi_gate.sh update LIB [BASELINE]  rewrite the baseline on purpose (a new major
#                                      version, or a reviewed compatible addition)
# LIB is a built libdigitinfer.so; BASELINE defaults to tests/abi/libdigitinfer.so.<major>.abi.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mode=${1:?usage: abi_gate.sh check|update LIB [BASELINE]}
lib=${2:?usage: abi_gate.sh check|update LIB [BASELINE]}
major=$(sed -n 's/^#define DI_ABI_VERSION \([0-9]*\)$/\1/p' "$repo/include/digitinfer/version.h")
baseline=${3:-$here/libdigitinfer.so.$major.abi}
for tool in abidw abidiff; do
  command -v "$tool" >/dev/null || { echo "abi_gate: $tool not found (apt-get install abigail-tools)" >&2; exit 2; }
done
headers=$repo/include/digitinfer

case "$mode" in
  update)
    # The baseline names no build path: libabigail records the file's path otherwise.
    abidw --headers-dir "$headers" --drop-private-types --no-corpus-path --no-comp-dir-path --short-locs \
      --out-file "$baseline" "$lib"
    echo "abi_gate: wrote $baseline from $lib ($(grep -c '<elf-symbol ' "$baseline") ELF symbols)"
    ;;
  check)
    [ -f "$baseline" ] || { echo "abi_gate: no baseline $baseline (abi_gate.sh update LIB)" >&2; exit 2; }
    set +e
    abidiff --headers-dir2 "$headers" --drop-private-types --suppressions "$here/suppressions.abignore" \
      --no-added-syms "$baseline" "$lib"
    status=$?
    set -e
    # abidiff's exit status is a bit field: 1 error, 2 usage, 4 ABI change, 8 incompatible change.
    if [ "$status" -ne 0 ]; then
      echo "abi_gate: FAILED: $lib differs from $baseline (abidiff status $status:" \
           "$( ((status & 1)) && echo error) $( ((status & 4)) && echo 'ABI change') $( ((status & 8)) && echo incompatible))" >&2
      exit 1
    fi
    echo "abi_gate: ok: $lib keeps the ABI of $(basename "$baseline")"
    ;;
  *) echo "usage: abi_gate.sh check|update LIB [BASELINE]" >&2; exit 2 ;;
esac
