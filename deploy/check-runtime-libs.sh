#!/bin/sh
# Used by deploy/Dockerfile's runtime stages: fails the image build when a
# library the installed binaries need does not resolve, or when a package the
# build stage found (share/digitinfer/runtime-packages.txt) is not installed.
set -eu
prefix=/opt/digitinfer
missing=$(find "$prefix/bin" "$prefix/lib" -type f \( -perm -u+x -o -name '*.so*' \) -exec ldd {} + \
          | grep 'not found' || true)
[ -z "$missing" ] || { echo "unresolved libraries:"; echo "$missing"; exit 1; } >&2
for p in $(cat "$prefix/share/digitinfer/runtime-packages.txt"); do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
    || { echo "runtime package $p is not installed: add it to deploy/Dockerfile" >&2; exit 1; }
done
echo "runtime libraries: all resolved; packages: $(tr '\n' ' ' < "$prefix/share/digitinfer/runtime-packages.txt")"
