#!/usr/bin/env bash
# Installs the Debian packages (packaging/deb/build_packages.sh) into a clean
# debian:bookworm-slim container and uses them as a user would:
#
#   packaging/deb/container_test.sh [--no-torch] OUT_DIR
#
#   1. apt-get install ./*.deb (the Debian archive through --network host);
#      with --no-torch, libdigitinfer-torch1 (and libtorch) is left out
#   2. a find_package(DigitInfer) project (tests/package/downstream) and a
#      plain pkg-config build of examples/c/predict.c, run on digit-7.png
#   3. DigitInfer_MODEL_DIR of the installed CMake package; the CLI
#   4. the systemd unit: installed, not enabled; its ExecStart serves the model
#   5. a process using libdigitinfer1 with a .dimodel maps no libtorch
#   6. apt-get remove --purge: no file of the packages is left
#
# Needs podman and the base image: packaging/deb/container_setup.sh (as root).
# Prints each step's wall time; exit status 0 only if every check passed.
# The container is removed on every exit.
set -euo pipefail

with_torch=1
if [ "${1:-}" = "--no-torch" ]; then with_torch=0; shift; fi
if [ $# -ne 1 ]; then sed -n '2,18p' "$0" >&2; exit 2; fi
out=$(cd "$1" && pwd)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
image=docker.io/library/debian:bookworm-slim

command -v podman >/dev/null || { echo "container_test: needs podman: packaging/deb/container_setup.sh" >&2; exit 1; }
podman image exists "$image" || { echo "container_test: no $image: packaging/deb/container_setup.sh" >&2; exit 1; }
packages=(libdigitinfer1 libdigitinfer-dev digitinfer-tools digitinfer-server)
[ "$with_torch" = 1 ] && packages+=(libdigitinfer-torch1)
debs=()
for p in "${packages[@]}"; do
  f=$(find "$out" -maxdepth 1 -name "${p}_*.deb" | LC_ALL=C sort | tail -n 1)
  [ -n "$f" ] || { echo "container_test: no ${p}_*.deb in $out" >&2; exit 1; }
  debs+=("$(basename "$f")")
done

container=digitinfer-deb-test-$$
cleanup() {
  local rc=$?
  podman rm -f -t 0 "$container" >/dev/null 2>&1 || true
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

total_start=$SECONDS
step_name=
step_start=0
step() { step_name=$1; step_start=$SECONDS; echo "== $step_name"; }
step_ok() { echo "   ok ($((SECONDS - step_start)) s)"; }
# Shared by the scripts run in the container.
prelude='
image7=/work/examples/images/digit-7.png
models=/usr/share/digitinfer/models
model=$models/convnet.dimodel
# expect REGEX COMMAND...: runs COMMAND, shows its output, fails unless a line matches REGEX.
expect() {
  local re=$1 o; shift
  o=$("$@" 2>&1) || { echo "$o"; echo "FAIL: $* exited non-zero"; return 1; }
  sed "s/^/   | /" <<<"$o"
  grep -Eq -- "$re" <<<"$o" || { echo "FAIL: no /$re/ in the output of $*"; return 1; }
}
# apt_get ARGS...: quiet, its log shown on failure.
apt_get() {
  DEBIAN_FRONTEND=noninteractive apt-get -y -qq --no-install-recommends "$@" >/tmp/apt.log 2>&1 \
    || { tail -n 30 /tmp/apt.log; echo "FAIL: apt-get $*"; return 1; }
}
'
# run_in: runs the script on its standard input (bash -euo pipefail, after the
# prelude) in the container; a failure ends the test.
run_in() {
  local script
  script=$(cat)
  if ! podman exec -e WITH_TORCH="$with_torch" -e PACKAGES="${packages[*]}" -e DEBS="${debs[*]}" \
      "$container" bash -euo pipefail -c "$prelude$script"; then
    echo "container_test: FAIL: $step_name" >&2
    exit 1
  fi
}

step "start $image"
podman run -d --name "$container" --network host "$image" sleep infinity >/dev/null
# The packages, and the sources of the consumers: the downstream project and the examples it builds.
tar -C "$out" -cf - "${debs[@]}" | podman exec -i "$container" sh -c 'mkdir -p /work/debs && tar -C /work/debs -xf -'
tar -C "$repo" -cf - tests/package/downstream examples/c examples/cpp examples/images \
  | podman exec -i "$container" sh -c 'tar -C /work -xf -'
step_ok

step "apt-get update"
run_in <<<'apt-get update -qq'
step_ok

step "apt-get install ./{libdigitinfer1,libdigitinfer-dev,digitinfer-tools,digitinfer-server}_*.deb"
run_in <<'EOF'
cd /work/debs
set -- $DEBS
apt_get install ./"$1" ./"$2" ./"$3" ./"$4"
dpkg-query -W -f='   ${Package} ${Version} ${db:Status-Abbrev}\n' $(cut -d' ' -f1-4 <<<"$PACKAGES")
EOF
step_ok

if [ "$with_torch" = 1 ]; then
  step "apt-get install ./libdigitinfer-torch1_*.deb (and Debian's libtorch)"
  run_in <<'EOF'
cd /work/debs
set -- $DEBS
before=$(dpkg-query -f '.\n' -W | wc -l)
apt_get install ./"$5"
echo "   $(( $(dpkg-query -f '.\n' -W | wc -l) - before )) packages added; libtorch1.13 $(dpkg-query -W -f='${Version}' libtorch1.13)"
EOF
  step_ok
fi

step "the ldconfig trigger ran: libdigitinfer.so.1 is in the loader's cache"
run_in <<'EOF'
ldconfig -p | grep -F libdigitinfer.so.1 | sed 's/^/   /'
# What the packages own, for the removal check at the end.
dpkg -L $PACKAGES | LC_ALL=C sort -u > /tmp/owned
echo "   the packages own $(wc -l < /tmp/owned) paths"
EOF
step_ok

step "apt-get install cmake g++ make pkg-config (to build the consumers)"
run_in <<<'apt_get install cmake g++ make pkg-config'
step_ok

step "find_package(DigitInfer): tests/package/downstream builds and predicts 7"
run_in <<'EOF'
cmake -S /work/tests/package/downstream -B /tmp/downstream -DCMAKE_BUILD_TYPE=Release \
  -DEXAMPLES_DIR=/work/examples >/tmp/cmake.log 2>&1 || { cat /tmp/cmake.log; exit 1; }
cmake --build /tmp/downstream -j2 >/tmp/build.log 2>&1 || { cat /tmp/build.log; exit 1; }
expect 'digit-7.png: 7 \(p=' /tmp/downstream/downstream_c "$model" "$image7"
expect 'digit-7.png: 7 \(p=' /tmp/downstream/downstream_cpp "$model" "$image7"
expect "^model: $model\$" /tmp/downstream/downstream_default_model "$image7"
EOF
step_ok

step "DigitInfer_MODEL_DIR of the installed CMake package names an existing convnet.dimodel"
run_in <<'EOF'
mkdir -p /tmp/modeldir
cat > /tmp/modeldir/CMakeLists.txt <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(model_dir LANGUAGES C)
find_package(DigitInfer REQUIRED)
message(STATUS "DigitInfer_MODEL_DIR=${DigitInfer_MODEL_DIR}")
CMAKE
dir=$(cmake -S /tmp/modeldir -B /tmp/modeldir/build | sed -n 's/^-- DigitInfer_MODEL_DIR=//p')
echo "   DigitInfer_MODEL_DIR=$dir"
[ "$dir" = "$models" ] || { echo "FAIL: not $models"; exit 1; }
[ -f "$dir/convnet.dimodel" ] || { echo "FAIL: no $dir/convnet.dimodel"; exit 1; }
echo "   $(ls -l "$dir/convnet.dimodel")"
EOF
step_ok

step "pkg-config: a C99 program (examples/c/predict.c) compiles, links and predicts 7"
run_in <<'EOF'
echo "   pkg-config --cflags --libs digitinfer: $(pkg-config --cflags --libs digitinfer)"
cc -std=c99 -pedantic -Wall -Werror /work/examples/c/predict.c -o /tmp/predict_c $(pkg-config --cflags --libs digitinfer)
expect 'digit-7.png: 7 \(p=' /tmp/predict_c "$model" "$image7"
EOF
step_ok

step "the CLI: digitinfer predict digit-7.png (the installed model by default)"
run_in <<'EOF'
unset DIGITINFER_MODEL
expect 'digit-7.png: 7 \(p=' digitinfer predict "$image7"
expect 'share/digitinfer/models/convnet.dimodel' digitinfer info
EOF
step_ok

if [ "$with_torch" = 1 ]; then
  step "the torch plugin: TorchScript models through Debian's libtorch (CLI, downstream_cpp)"
  run_in <<'EOF'
expect 'digit-7.png: 7 \(p=' digitinfer predict --model "$models/convnet.scripted.pt" "$image7"
expect 'digit-7.png: 7 \(p=' /tmp/downstream/downstream_cpp "$models/convnet.traced.pt" "$image7"
EOF
  step_ok
fi

step "a process using libdigitinfer1 with the .dimodel loads no libtorch (LD_DEBUG=files)"
# Every object the loader opens, dlopen'ed ones included. With the torch
# package installed the plugin is there but must not be loaded for a .dimodel;
# for a .pt model read without the cache it must be (so the check does see
# libtorch when it is loaded).
run_in <<'EOF'
loaded() {
  LD_DEBUG=files "$@" 2>&1 >/dev/null \
    | sed -n 's/.*\tfile=\([^ ]*\) \[[0-9]*\];  \(needed\|dynamically loaded\) by .*/\1/p' | LC_ALL=C sort -u
}
objs=$(loaded /tmp/predict_c "$model" "$image7")
echo "   predict_c + convnet.dimodel: $(wc -l <<<"$objs") shared objects: $(tr '\n' ' ' <<<"$objs")"
if grep -Eq 'libtorch|libc10|digitinfer_torch' <<<"$objs"; then echo "FAIL: libtorch loaded"; exit 1; fi
if [ "$WITH_TORCH" = 1 ]; then
  # Without the compiled-model cache, which holds the .pt model since the CLI step:
  # a cached load runs natively without libtorch too.
  pt=$(DIGITINFER_CACHE_DIR=off loaded /tmp/predict_c "$models/convnet.scripted.pt" "$image7")
  echo "   predict_c + convnet.scripted.pt: $(wc -l <<<"$pt") shared objects, among them $(grep -E 'digitinfer_torch|libtorch|libc10' <<<"$pt" | tr '\n' ' ')"
  grep -q libtorch_cpu <<<"$pt" || { echo "FAIL: the .pt model did not load libtorch: the check above proves nothing"; exit 1; }
fi
EOF
step_ok

step "systemd unit: installed, not enabled, no maintainer scripts"
run_in <<'EOF'
unit=/usr/lib/systemd/system/digitinfer-server.service
echo "   $(dpkg -S $unit)"
enabled=$(find /etc/systemd /usr/lib/systemd -name 'digitinfer-server*' ! -path $unit 2>/dev/null || true)
[ -z "$enabled" ] || { echo "FAIL: enabled: $enabled"; exit 1; }
scripts=$(ls /var/lib/dpkg/info/ | grep -E '^(lib)?digitinfer.*\.(preinst|postinst|prerm|postrm)$' || true)
[ -z "$scripts" ] || { echo "FAIL: maintainer scripts: $scripts"; exit 1; }
echo "   no link to it under /etc/systemd (not enabled), no maintainer script in any of the packages"
EOF
step_ok

step "the unit's ExecStart, as an unprivileged user: serves the installed model (PUT digit-7.png -> 7)"
# No systemd in the container: the same command line, as nobody, on free ports
# (port 0; the unit keeps the server's defaults, 127.0.0.1:8080-8082).
run_in <<'EOF'
cmd=$(sed -n 's/^ExecStart=//p' /usr/lib/systemd/system/digitinfer-server.service | sed 's/ *\$DIGITINFER_SERVER_ARGS$//')
echo "   ExecStart: $cmd"
cd /tmp
setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs $cmd \
  --inference-address http://127.0.0.1:0 --management-address http://127.0.0.1:0 \
  --metrics-address http://127.0.0.1:0 >/tmp/server.out 2>/tmp/server.err &
pid=$!
stop() { kill -TERM $pid 2>/dev/null || true; }
for _ in $(seq 150); do
  grep -q '^digitinfer-server: ready' /tmp/server.out && break
  kill -0 $pid 2>/dev/null || { cat /tmp/server.out /tmp/server.err; echo "FAIL: the server exited"; exit 1; }
  sleep 0.2
done
grep -q '^digitinfer-server: ready' /tmp/server.out || { cat /tmp/server.err; echo "FAIL: not ready in 30 s"; stop; exit 1; }
port=$(sed -n 's/.* inference listening on .*:\([0-9]*\)$/\1/p' /tmp/server.out | head -n 1)
exec 3<>/dev/tcp/127.0.0.1/$port
{ printf 'PUT /predictions/convnet HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %s\r\nConnection: close\r\n\r\n' \
    "$(stat -c %s "$image7")"; cat "$image7"; } >&3
response=$(tr -d '\r' <&3); exec 3<&-
echo "   PUT /predictions/convnet on port $port: $(head -n 1 <<<"$response"), body $(tail -n 1 <<<"$response")"
if ! grep -q '^HTTP/1.1 200' <<<"$response" || [ "$(tail -n 1 <<<"$response")" != 7 ]; then
  echo "$response"; echo "FAIL: not 200 7"; stop; exit 1
fi
echo "   server uid $(awk '/^Uid:/ {print $2}' /proc/$pid/status) ($(id -u nobody) = nobody)"
# Read as the server's user: root in the container has no CAP_SYS_PTRACE for another uid's maps.
sos=$(setpriv --reuid=nobody --regid=nogroup --clear-groups cat /proc/$pid/maps | awk '$6 ~ /\.so/ {print $6}' | LC_ALL=C sort -u)
echo "   /proc/$pid/maps: $(wc -l <<<"$sos") shared objects, no libtorch among them"
if grep -Eq 'libtorch|libc10|digitinfer_torch' <<<"$sos"; then echo "FAIL: the server mapped libtorch"; stop; exit 1; fi
grep -F convnet.dimodel /tmp/server.err | head -n 1 | sed 's/^/   | /'
kill -TERM $pid; code=0; wait $pid || code=$?
[ $code = 0 ] || { cat /tmp/server.err; echo "FAIL: exit $code after SIGTERM"; exit 1; }
echo "   stopped on SIGTERM, exit 0"
EOF
step_ok

step "apt-get remove --purge ${packages[*]}: nothing of them is left"
run_in <<'EOF'
apt_get remove --purge $PACKAGES
left=$(dpkg -l | awk '$2 ~ /digitinfer/ {print $1, $2}')
[ -z "$left" ] || { echo "FAIL: still known to dpkg: $left"; exit 1; }
bad=0
# A file or link they owned must be gone; a directory may stay only if another package owns it.
while IFS= read -r path; do
  [ "$path" = /. ] && continue
  if [ -L "$path" ] || [ -f "$path" ]; then echo "   left: $path"; bad=1
  elif [ -d "$path" ] && ! dpkg -S "$path" >/dev/null 2>&1; then echo "   left (directory): $path"; bad=1
  fi
done < /tmp/owned
# Any other file by that name, outside the test's own places and the home
# directories (the users' data: the CLI's compiled-model cache, which the
# torch step wrote to /root/.cache/digitinfer; packages leave homes alone).
stray=$(find / -xdev \( -path /proc -o -path /sys -o -path /work -o -path /tmp -o -path /root -o -path /home \) -prune \
        -o -name '*digitinfer*' -print)
[ -z "$stray" ] || { echo "   left (by name): $stray"; bad=1; }
if [ -d /root/.cache/digitinfer ]; then echo "   (user data, not the packages': /root/.cache/digitinfer)"; fi
if ldconfig -p | grep -F libdigitinfer; then echo "   left in the loader's cache"; bad=1; fi
[ $bad = 0 ] || { echo "FAIL: files left after the purge"; exit 1; }
echo "   none of the $(wc -l < /tmp/owned) paths is left (the directories still there are other packages'), none in ldconfig's cache"
EOF
step_ok

echo "container_test: OK: ${#packages[@]} packages installed, used and purged in $image in $((SECONDS - total_start)) s"
