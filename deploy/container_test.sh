#!/usr/bin/env bash
# Builds the digitinfer-server image (deploy/Dockerfile) with podman, runs it
# with its three ports published on 127.0.0.1 (host ports picked at run time),
# and checks it from the outside: prediction, management, metrics, non-root,
# HEALTHCHECK, graceful stop on SIGTERM. Prints the image sizes.
#
#   deploy/container_test.sh            # default image (digitinfer-server:latest, .dimodel only)
#   deploy/container_test.sh --torch    # the torch image (digitinfer-server:torch, also .pt models)
#   options: --no-build (test the image as it is), --jobs N (build parallelism, default 2),
#            --image NAME (tag to build/test)
#
# Exit status: 0 all checks passed, 1 a check or the build failed, 77 podman is
# not installed (skip), 2 bad usage. Cleans up its container and build context
# on every exit. Build log: $TMPDIR/digitinfer-image-build.<target>.log.
set -euo pipefail

target=default
image=
build=1
jobs=2
while [ $# -gt 0 ]; do
  case "$1" in
    --torch) target=torch ;;
    --no-build) build=0 ;;
    --jobs) jobs=$2; shift ;;
    --image) image=$2; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "container_test: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$image" ] || { [ "$target" = torch ] && image=digitinfer-server:torch || image=digitinfer-server:latest; }

if ! command -v podman >/dev/null 2>&1; then
  echo "container_test: SKIP: podman is not installed (on this machine: /work/shared/tools/container-setup.sh)" >&2
  exit 77
fi
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
for tool in curl git tar; do
  command -v "$tool" >/dev/null || { echo "container_test: needs $tool" >&2; exit 1; }
done

container=digitinfer-test-$$
context=
failures=0
cleanup() {
  local rc=$?
  # -v: also the anonymous volume podman made for /models (the image's VOLUME).
  podman rm -f -v -t 2 "$container" >/dev/null 2>&1 || true
  [ -n "$context" ] && rm -rf "$context"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pass() { printf 'PASS  %-28s %s\n' "$1" "$2"; }
fail() { printf 'FAIL  %-28s %s\n' "$1" "$2"; failures=$((failures + 1)); }
# check NAME EXPECTED ACTUAL
check() { if [ "$3" = "$2" ]; then pass "$1" "$3"; else fail "$1" "got '$3', want '$2'"; fi; }
# check_grep NAME REGEX TEXT
# check_grep NAME REGEX TEXT: passes when a line of TEXT matches; shows that line.
check_grep() {
  local line
  if line=$(grep -Em1 -- "$2" <<<"$3"); then pass "$1" "$(head -c 160 <<<"$line")"
  else fail "$1" "no /$2/ in: $(head -c 300 <<<"$3")"; fi
}

# ---------------------------------------------------------------- build
if [ "$build" = 1 ]; then
  # A clean build context: the files git knows about (tracked, and untracked
  # but not ignored: e.g. new files under deploy/ or examples/server/), taken
  # from the working tree so that uncommitted edits are in. Not the repository
  # root itself: its build*/ directories are gigabytes and there is no
  # .dockerignore. Tracked files deleted in the working tree are skipped.
  context=$(mktemp -d "${TMPDIR:-/tmp}/digitinfer-context.XXXXXX")
  git -C "$repo" ls-files -z --cached --others --exclude-standard \
    | (cd "$repo" && while IFS= read -r -d '' f; do
         if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
       done) \
    | sort -zu \
    | tar -C "$repo" --null -T - -cf - \
    | tar -C "$context" -xf -
  echo "container_test: context $context: $(find "$context" -type f | wc -l) files, $(du -sh "$context" | cut -f1)"
  log="${TMPDIR:-/tmp}/digitinfer-image-build.$target.log"
  echo "container_test: building $image (target $target, -j$jobs); log: $log"
  start=$SECONDS
  # --format docker: keeps the HEALTHCHECK (the OCI format has none);
  # --network host: the build stages apt-get from the Debian archive;
  # --pull=never: there is no registry; the base image is local.
  # Each log line is prefixed with the seconds since the build started.
  if ! podman build --network host --pull=never --format docker --target "$target" \
      --build-arg JOBS="$jobs" -f "$context/deploy/Dockerfile" -t "$image" "$context" 2>&1 \
    | while IFS= read -r line; do printf '[%5ds] %s\n' $((SECONDS - start)) "$line"; done >"$log"; then
    tail -n 40 "$log" >&2
    echo "container_test: FAIL: the image build failed after $((SECONDS - start)) s (log: $log)" >&2
    exit 1
  fi
  echo "container_test: built $image in $((SECONDS - start)) s"
  rm -rf "$context"; context=
fi
podman image exists "$image" || { echo "container_test: no image $image (run without --no-build)" >&2; exit 1; }

# ---------------------------------------------------------------- image config
echo "== image $image"
check "image user" "10001:10001" "$(podman image inspect --format '{{.Config.User}}' "$image")"
check_grep "image exposes" '8080/tcp.*8081/tcp.*8082/tcp' \
  "$(podman image inspect --format '{{range $p, $v := .Config.ExposedPorts}}{{$p}} {{end}}' "$image")"
check_grep "image volume" '/models' "$(podman image inspect --format '{{range $p, $v := .Config.Volumes}}{{$p}} {{end}}' "$image")"
check_grep "image healthcheck" '/ping' "$(podman image inspect --format '{{json .Config.Healthcheck}}' "$image")"

# ---------------------------------------------------------------- run
# Host ports: 127.0.0.1::PORT lets podman pick free ones at run time (no race
# with other users of this machine); `podman port` says which.
# Without systemd (as on this build machine) podman cannot start the periodic
# healthcheck timer and says so on stderr; `podman healthcheck run` (below) works.
run_err=$(podman run -d --name "$container" \
  -p 127.0.0.1::8080 -p 127.0.0.1::8081 -p 127.0.0.1::8082 "$image" 2>&1 >/dev/null) \
  || { echo "$run_err" >&2; echo "container_test: FAIL: podman run" >&2; exit 1; }
if grep -q 'systemd' <<<"$run_err"; then
  echo "note: no systemd here: podman runs no periodic healthchecks (podman: $(grep -m1 -o 'unable to [^:]*' <<<"$run_err"))"
fi
volume=$(podman inspect --format '{{range .Mounts}}{{if eq .Destination "/models"}}{{.Name}}{{end}}{{end}}' "$container")
host_port() { podman port "$container" "$1/tcp" | head -n 1 | sed 's/.*://'; }
inference=$(host_port 8080); management=$(host_port 8081); metrics=$(host_port 8082)
check_grep "management published on" '^127\.0\.0\.1:[0-9]+$' "$(podman port "$container" 8081/tcp)"
check_grep "/models is a volume" '^[0-9a-f]{12}' "$volume"
echo "== container $container (model store: volume ${volume:0:12}): inference 127.0.0.1:$inference, management 127.0.0.1:$management, metrics 127.0.0.1:$metrics"

# Ready: /ping says Healthy (bounded: the torch image loads libtorch first).
deadline=$((SECONDS + 120))
ping=
start=$SECONDS
while [ $SECONDS -lt $deadline ]; do
  ping=$(curl -s --max-time 2 "http://127.0.0.1:$inference/ping" || true)
  grep -q Healthy <<<"$ping" && break
  if [ "$(podman inspect --format '{{.State.Running}}' "$container")" != true ]; then
    podman logs "$container" >&2 || true
    echo "container_test: FAIL: the container exited" >&2
    exit 1
  fi
  sleep 0.5
done
if grep -q Healthy <<<"$ping"; then
  pass "GET /ping" "$ping (after $((SECONDS - start)) s)"
else
  fail "GET /ping" "not Healthy within 120 s: '$ping'"
  podman logs "$container" >&2 || true
  exit 1
fi

echo "== checks from the host"
check "predict digit-2.png" 2 \
  "$(curl -s --max-time 10 -T "$repo/examples/images/digit-2.png" "http://127.0.0.1:$inference/predictions/convnet")"
check "predict digit-7.png" 7 \
  "$(curl -s --max-time 10 --data-binary @"$repo/examples/images/digit-7.png" "http://127.0.0.1:$inference/predictions/convnet")"
check_grep "predict ?topk=3" '^\{"2": ?[01]' \
  "$(curl -s --max-time 10 -T "$repo/examples/images/digit-2.png" "http://127.0.0.1:$inference/predictions/convnet?topk=3")"
models=$(curl -s --max-time 10 "http://127.0.0.1:$management/models")
check_grep "GET /models (management)" '"modelName": ?"convnet"' "$models"
check_grep "GET /models/convnet" '"status": ?"READY"' "$(curl -s --max-time 10 "http://127.0.0.1:$management/models/convnet")"
metrics_text=$(curl -s --max-time 10 "http://127.0.0.1:$metrics/metrics")
check_grep "GET /metrics (metrics)" '^digitinfer_models_loaded' "$metrics_text"
check_grep "metrics count predictions" \
  '^digitinfer_requests_total\{code="200",endpoint="predictions",[^}]*model="convnet"\} [1-9]' "$metrics_text"
check_grep "GET /v2/health/ready" '"ready": ?true' "$(curl -s --max-time 10 "http://127.0.0.1:$inference/v2/health/ready")"
if [ "$target" = torch ]; then
  # The TorchScript model goes through the libtorch plugin.
  check "predict .pt model" 2 \
    "$(curl -s --max-time 30 -T "$repo/examples/images/digit-2.png" "http://127.0.0.1:$inference/predictions/convnet.scripted")"
  check_grep "GET /models lists .pt" '"modelUrl": ?"convnet.scripted.pt"' "$models"
fi

echo "== process"
check "server (PID 1) uid" 10001 "$(podman exec "$container" awk '/^Uid:/ {print $2}' /proc/1/status)"
check "exec id -u" 10001 "$(podman exec "$container" id -u)"
check_grep "PID 1 is the server" 'digitinfer-serv' "$(podman exec "$container" cat /proc/1/comm)"
check_grep "access log (stdout)" '"target": ?"/predictions/convnet"' "$(podman logs "$container" 2>/dev/null)"

echo "== healthcheck"
if out=$(podman healthcheck run "$container" 2>&1); then
  pass "podman healthcheck run" "${out:-exit 0 (healthy)}"
else
  fail "podman healthcheck run" "exit $?: $out"
fi
health=$(podman inspect --format '{{.State.Health.Status}}' "$container" 2>/dev/null \
         || podman inspect --format '{{.State.Healthcheck.Status}}' "$container")
check "health status" healthy "$health"

echo "== stop"
start=$SECONDS
podman stop -t 20 "$container" >/dev/null 2>&1
stop_s=$((SECONDS - start))
check "exit code after SIGTERM" 0 "$(podman inspect --format '{{.State.ExitCode}}' "$container")"
logs=$(podman logs "$container" 2>&1)
check_grep "graceful shutdown log" 'signal 15: stopping' "$logs"
if [ "$stop_s" -lt 20 ]; then pass "stopped before the timeout" "${stop_s} s"; else fail "stopped before the timeout" "${stop_s} s: SIGKILLed?"; fi
podman rm -v "$container" >/dev/null 2>&1
check "container and /models volume removed" gone \
  "$(podman container exists "$container" || podman volume exists "$volume" || echo gone)"

echo "== image sizes (podman image inspect --format '{{.Size}}')"
for i in docker.io/library/debian:bookworm-slim digitinfer-server:latest digitinfer-server:torch; do
  if podman image exists "$i"; then
    size=$(podman image inspect --format '{{.Size}}' "$i")
    printf '%-40s %12s bytes  %6s MB\n' "$i" "$size" "$((size / 1000000))"
  else
    printf '%-40s (not built)\n' "$i"
  fi
done

if [ "$failures" -gt 0 ]; then
  echo "container_test: FAIL: $failures check(s) failed ($image)"
  exit 1
fi
echo "container_test: OK ($image)"
