#!/usr/bin/env bash
# Runs deploy/k8s/ for real with `podman kube play` against a locally built
# image, checks it from the outside, and tears it down.
#
#   deploy/k8s/kube_play_test.sh                       # image digitinfer-server:latest
#   deploy/k8s/kube_play_test.sh --image NAME --timeout 240
#
# The image comes from deploy/container_test.sh (or the podman build it runs,
# docs/container.md). podman plays the ConfigMap and the Deployment; it
# ignores Service, HorizontalPodAutoscaler and PodDisruptionBudget (fed to it
# anyway, to show they do not break it). The manifests are played from a
# generated copy that differs from deploy/k8s/ only in:
#   - replicas 1 (podman makes one pod per replica, all with the same host ports),
#   - hostIP 127.0.0.1 + hostPort (free ports picked now) on the two container ports,
#   - the Deployment's name (unique per run) and the image name (--image).
# Checks: readiness (/v2/health/ready), liveness, /ping; predictions over
# TorchServe's API (PNG), the Flask /test protocol (tensor) and OIP v2 (FP32
# tensor and BYTES image); metrics; management on the pod's loopback only;
# what podman applied of the securityContext and resources (uid, read-only
# root, caps, CPU/memory limits); the ConfigMap read by the server; graceful
# stop. Exit: 0 pass, 1 fail, 124 over --timeout (the pod is still torn down),
# 77 podman missing (skip), 2 usage.
set -euo pipefail

image=digitinfer-server:latest
timeout_s=240
args=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --image) image=$2; shift ;;
    --timeout) timeout_s=$2; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "kube_play_test: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[[ $timeout_s =~ ^[0-9]+$ ]] || { echo "kube_play_test: --timeout wants seconds" >&2; exit 2; }
command -v podman >/dev/null 2>&1 || { echo "kube_play_test: SKIP: podman is not installed" >&2; exit 77; }
# Bounded in time: the whole run goes under coreutils' timeout, which sends
# SIGTERM after --timeout seconds; the TERM trap below fails the run and the
# EXIT trap tears the pod down.
if [ -z "${DIGITINFER_KUBE_PLAY_TIMED:-}" ]; then
  DIGITINFER_KUBE_PLAY_TIMED=1 exec timeout -s TERM -k 30 "$timeout_s" "$0" "${args[@]}"
fi
for tool in curl python3; do command -v "$tool" >/dev/null || { echo "kube_play_test: needs $tool" >&2; exit 1; }; done
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
podman image exists "$image" || {
  echo "kube_play_test: no image $image: build it first (deploy/container_test.sh)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/digitinfer-kube.XXXXXX")
name=digitinfer-kptest-$$
pod=$name-pod-0                  # podman's name for replica 0 of Deployment $name
ctr=$pod-digitinfer-server       # <pod>-<container name>
played=
failures=0
cleanup() {
  local rc=$?
  if [ -n "$played" ]; then
    timeout 60 podman kube down "$work/play.yaml" >/dev/null 2>&1 \
      || podman pod rm -f "$pod" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'echo "kube_play_test: FAIL: over the ${timeout_s} s limit" >&2; exit 1' TERM
started=$SECONDS

pass() { printf 'PASS  %-34s %s\n' "$1" "$2"; }
fail() { printf 'FAIL  %-34s %s\n' "$1" "$2"; failures=$((failures + 1)); }
check() { if [ "$3" = "$2" ]; then pass "$1" "$3"; else fail "$1" "got '$3', want '$2'"; fi; }
check_grep() {
  local line
  if line=$(grep -Em1 -- "$2" <<<"$3"); then pass "$1" "$(head -c 150 <<<"$line")"
  else fail "$1" "no /$2/ in: $(head -c 300 <<<"$3")"; fi
}

# ------------------------------------------------------------ the manifest copy
read -r http_port metrics_port < <(python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
EOF
)
python3 - "$here" "$work/play.yaml" "$name" "$image" "$http_port" "$metrics_port" <<'EOF'
import sys, yaml
here, out, name, image, http_port, metrics_port = sys.argv[1:]
docs = []
for f in ("configmap", "deployment", "service", "hpa", "pdb"):
    with open(f"{here}/{f}.yaml") as fh:
        docs.extend(d for d in yaml.safe_load_all(fh) if d)
for d in docs:
    if d["kind"] != "Deployment":
        continue
    d["metadata"]["name"] = name
    d["spec"]["replicas"] = 1
    (c,) = d["spec"]["template"]["spec"]["containers"]
    c["image"] = image
    host = {"http": int(http_port), "metrics": int(metrics_port)}
    for p in c["ports"]:
        p["hostIP"] = "127.0.0.1"
        p["hostPort"] = host[p["name"]]
with open(out, "w") as fh:
    yaml.safe_dump_all(docs, fh, sort_keys=False)
print("kube_play_test: kinds " + ", ".join(d["kind"] for d in docs))
EOF
echo "kube_play_test: image $image; pod $pod; inference 127.0.0.1:$http_port, metrics 127.0.0.1:$metrics_port"

# ------------------------------------------------------------ play
t0=$SECONDS
played=1
if ! out=$(timeout 90 podman kube play "$work/play.yaml" 2>&1); then
  echo "$out" >&2; fail "podman kube play" "failed"; exit 1
fi
pass "podman kube play" "pod $pod, container $ctr ($((SECONDS - t0)) s)"
grep -q 'systemd' <<<"$out" && echo "note: no systemd: podman schedules no healthcheck timers here (the livenessProbe became a healthcheck, see docs/deploy.md)"

url=http://127.0.0.1:$http_port
ready=
t_ready=$SECONDS
while [ $((SECONDS - t_ready)) -lt 60 ]; do
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url/v2/health/ready" || true)
  [ "$code" = 200 ] && { ready=1; break; }
  [ "$(podman inspect --format '{{.State.Running}}' "$ctr" 2>/dev/null)" = true ] || break
  sleep 0.25
done
if [ -n "$ready" ]; then
  pass "readiness GET /v2/health/ready" "200 $(curl -s --max-time 2 "$url/v2/health/ready") ($((SECONDS - t_ready)) s after play)"
else
  fail "readiness GET /v2/health/ready" "not 200 within 60 s"
  podman logs "$ctr" >&2 || true
  exit 1
fi
check "liveness GET /v2/health/live" '200 {"live":true}' \
  "$(curl -s -w '%{http_code}' -o "$work/live" --max-time 2 "$url/v2/health/live") $(cat "$work/live")"
check "GET /ping" '{"status":"Healthy"}' "$(curl -s --max-time 2 "$url/ping")"

echo "== predictions"
check "TorchServe PUT digit-2.png" 2 \
  "$(curl -s --max-time 10 -T "$repo/examples/images/digit-2.png" "$url/predictions/convnet")"
check "TorchServe POST digit-7.png" 7 \
  "$(curl -s --max-time 10 --data-binary @"$repo/examples/images/digit-7.png" "$url/predictions/convnet")"
# The normalized tensor of digit-2.png (28x28 grayscale: no resize), for /test and OIP FP32.
python3 - "$repo/examples/images/digit-2.png" "$work" <<'EOF'
import base64, json, struct, sys, zlib
png, work = sys.argv[1], sys.argv[2]
data = open(png, "rb").read()
pos, idat, width, height = 8, b"", 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        width, height, depth, color = struct.unpack(">IIBB", body[:10])
        assert (depth, color) == (8, 0), "8-bit grayscale expected"
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw, rows, prev = zlib.decompress(idat), [], bytes(width)
for y in range(height):
    f, line = raw[y * (width + 1)], bytearray(raw[y * (width + 1) + 1:(y + 1) * (width + 1)])
    for x in range(width):
        a = line[x - 1] if x else 0
        b, c = prev[x], (prev[x - 1] if x else 0)
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(bytes(line)); prev = bytes(line)
assert (width, height) == (28, 28)
# torchvision's to_tensor + normalize with the model's mean/std (docs/pipeline.md).
values = [(v / 255 - 0.1302) / 0.3069 for row in rows for v in row]
open(f"{work}/tensor.f32", "wb").write(struct.pack("<784f", *values))
json.dump({"id": "fp32", "inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 1, 28, 28],
           "data": values}], "outputs": [{"name": "digit"}]}, open(f"{work}/fp32.json", "w"))
json.dump({"id": "bytes", "inputs": [{"name": "image", "datatype": "BYTES", "shape": [1],
           "data": [base64.b64encode(open(png.replace("digit-2", "digit-7"), "rb").read()).decode()]}]},
          open(f"{work}/bytes.json", "w"))
EOF
check "Flask POST /test (tensor)" 2 \
  "$(curl -s --max-time 10 -F 'metadata={"dims": [1, 28, 28]}' -F "data=@$work/tensor.f32;type=application/octet-stream" "$url/test")"
oip=$(curl -s --max-time 10 -H 'Content-Type: application/json' --data-binary @"$work/fp32.json" "$url/v2/models/convnet/infer")
check "OIP v2 infer FP32 digit-2" 2 \
  "$(python3 -c 'import json,sys; o={x["name"]: x for x in json.loads(sys.argv[1])["outputs"]}; print(o["digit"]["data"][0])' "$oip" 2>/dev/null || echo "$oip")"
oip=$(curl -s --max-time 10 -H 'Content-Type: application/json' --data-binary @"$work/bytes.json" "$url/v2/models/convnet/infer")
check "OIP v2 infer BYTES digit-7.png" "7 [1, 10]" \
  "$(python3 -c 'import json,sys; o={x["name"]: x for x in json.loads(sys.argv[1])["outputs"]}; print(o["digit"]["data"][0], o["probabilities"]["shape"])' "$oip" 2>/dev/null || echo "$oip")"

echo "== metrics, management"
metrics=$(curl -s --max-time 5 "http://127.0.0.1:$metrics_port/metrics")
check_grep "GET /metrics: models loaded" '^digitinfer_models_loaded 1' "$metrics"
check_grep "GET /metrics: predictions counted" \
  '^digitinfer_requests_total\{code="200",endpoint="predictions",[^}]*\} 2' "$metrics"
# Management listens on the pod's loopback (ConfigMap): reachable from inside the pod only.
mgmt=$(podman exec "$ctr" timeout 4 bash -c 'exec 3<>/dev/tcp/127.0.0.1/8081 && printf "GET /models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" >&3 && cat <&3' 2>&1 | tail -n 1)
check_grep "management on the pod's 127.0.0.1" '"modelName": ?"convnet"' "$mgmt"
check "management not published" "(none)" "$(podman port "$ctr" 8081/tcp 2>/dev/null | grep . || echo '(none)')"

echo "== what podman applied"
check "user (runAsUser/runAsGroup)" 10001:10001 "$(podman inspect --format '{{.Config.User}}' "$ctr")"
check "server uid (PID 1)" 10001 "$(podman exec "$ctr" awk '/^Uid:/ {print $2}' /proc/1/status)"
check "readOnlyRootFilesystem" true "$(podman inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$ctr")"
check_grep "root fs refuses writes" 'Read-only file system' "$(podman exec "$ctr" touch /var/lib/digitinfer/x 2>&1 || true)"
check "capabilities (drop ALL)" "0000000000000000" "$(podman exec "$ctr" awk '/^CapEff:/ {print $2}' /proc/1/status)"
check "NoNewPrivs" 1 "$(podman exec "$ctr" awk '/^NoNewPrivs:/ {print $2}' /proc/1/status)"
check "CPU limit (NanoCpus)" 2000000000 "$(podman inspect --format '{{.HostConfig.NanoCpus}}' "$ctr")"
check "memory limit" 536870912 "$(podman inspect --format '{{.HostConfig.Memory}}' "$ctr")"
check "command from the manifest" \
  "digitinfer-server --ts-config /etc/digitinfer/config.properties --workers 2 --max-pixels 16777216" \
  "$(podman exec "$ctr" cat /proc/1/cmdline | tr '\0' ' ' | sed 's/ $//')"
check_grep "ConfigMap mounted" '^management_address=http://127.0.0.1:8081' \
  "$(podman exec "$ctr" cat /etc/digitinfer/config.properties)"
logs=$(podman logs "$ctr" 2>&1)
check_grep "listeners from the ConfigMap" 'management listening on 127\.0\.0\.1:8081' "$logs"
check_grep "server ready line" '^digitinfer-server: ready' "$logs"
if grep -q 'unknown key' <<<"$logs"; then fail "config keys all known" "$(grep -m1 'unknown key' <<<"$logs")"; fi
check_grep "access log (stdout)" '"target": ?"/predictions/convnet"' "$logs"

echo "== stop"
t_stop=$SECONDS
podman pod stop -t 20 "$pod" >/dev/null 2>&1 || true
stop_s=$((SECONDS - t_stop))
check "exit code after SIGTERM" 0 "$(podman inspect --format '{{.State.ExitCode}}' "$ctr")"
check_grep "graceful shutdown log" 'signal 15: stopping' "$(podman logs "$ctr" 2>&1)"
if [ "$stop_s" -lt 20 ]; then pass "stopped before the timeout" "${stop_s} s"; else fail "stopped before the timeout" "${stop_s} s"; fi
timeout 60 podman kube down "$work/play.yaml" >/dev/null 2>&1 && played=
check "podman kube down: pod gone" gone "$(podman pod exists "$pod" && echo present || echo gone)"

echo "kube_play_test: $((SECONDS - started)) s in all"
if [ "$failures" -gt 0 ]; then echo "kube_play_test: FAIL: $failures check(s)"; exit 1; fi
echo "kube_play_test: OK ($image)"
