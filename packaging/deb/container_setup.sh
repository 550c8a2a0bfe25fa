#!/usr/bin/env bash
# podman for packaging/deb/container_test.sh, set up as root on a Debian 12
# machine without a container registry or systemd (CI runners, this build
# machine): a copy of the build machine's container-setup tool, kept in the
# repository so that CI needs nothing outside it.
# Makes podman build and run containers on this kind of machine, which has no
# container registry: installs podman + runc, configures them for its cgroup
# layout, and creates the base image `debian:bookworm-slim` locally from
# Debian's own packages (debootstrap), so a Dockerfile that starts
# `FROM debian:bookworm-slim` builds unchanged.
# Then: podman build --network host --pull=never -t NAME .
#       podman run --rm --network host NAME
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "container-setup: run as root (it installs packages and writes /etc/containers)" >&2
  exit 1
fi
need=()
for p in podman runc debootstrap; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
mkdir -p /etc/containers
cat > /etc/containers/containers.conf <<'CONF'
[containers]
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
CONF
base=docker.io/library/debian:bookworm-slim
if ! podman image exists "$base"; then
  mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -m1 '/debian/*$' || true)
  [ -n "$mirror" ] || mirror=$(awk '$1=="deb" && $2 ~ /\/debian\/?$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  [ -n "$mirror" ] || { echo "container-setup: no Debian mirror found in apt sources" >&2; exit 1; }
  root=$(mktemp -d)
  debootstrap --variant=minbase bookworm "$root" "$mirror" >/dev/null
  tar -C "$root" -c . | podman import - "$base" >/dev/null
  rm -rf "$root"
fi
podman run --rm --network host "$base" true && echo "container-setup: podman ready; base image $base"
