#!/usr/bin/env bash
# Starts / stops the TorchServe installed by tools/torchserve/setup.sh, serving convnet.mar.
#
#     tools/torchserve/serve.sh start [DIR]    # writes DIR/config.properties with free ports, starts TorchServe,
#                                              # waits until a real prediction (digit-2.png -> 2) succeeds,
#                                              # prints: inference_port=P management_port=P metrics_port=P java_pid=PID
#                                              #         cold_start_s=S (launch -> first successful prediction)
#     TS_NO_WAIT=1 tools/torchserve/serve.sh start [DIR]   # same, but returns once java is launched (no
#                                              # wait, no cold_start_s): for callers that time the start themselves
#     tools/torchserve/serve.sh stop [DIR]     # SIGTERM to the java process, waits for it (and its workers) to exit
#     tools/torchserve/serve.sh status [DIR]
#
# DIR: default $DIGITINFER_TORCHSERVE_DIR or /tmp/digitinfer-torchserve. The same lines are kept in
# DIR/serve.env for stop and for scripts (bench/server/run.sh sources it). Fixed ports instead of free
# ones: set TS_INFERENCE_PORT, TS_MANAGEMENT_PORT, TS_METRICS_PORT, TS_GRPC_INFERENCE_PORT,
# TS_GRPC_MANAGEMENT_PORT. Workers: TorchServe's default (default_workers_per_model unset: one per core on
# CPU), unless TS_WORKERS is set. TorchServe writes its logs to DIR/logs (the previous start's: DIR/logs.prev)
# and its pid file to DIR/tmp
# (TMPDIR), so it does not meet another TorchServe on the machine.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cmd="${1:-}"
DIR="${2:-${DIGITINFER_TORCHSERVE_DIR:-/tmp/digitinfer-torchserve}}"
START_TIMEOUT="${TS_START_TIMEOUT:-180}"

free_ports() {  # N distinct free ports on 127.0.0.1, held open together while chosen
    /usr/bin/python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

java_alive() { [ -n "${java_pid:-}" ] && kill -0 "$java_pid" 2>/dev/null; }

case "$cmd" in
start)
    [ -x "$DIR/venv/bin/torchserve" ] && [ -f "$DIR/model-store/convnet.mar" ] \
        || { echo "serve.sh: TorchServe is not set up in $DIR: run tools/torchserve/setup.sh first" >&2; exit 2; }
    if [ -f "$DIR/serve.env" ]; then
        # shellcheck disable=SC1091
        . "$DIR/serve.env"
        if java_alive; then echo "serve.sh: already running (java_pid=$java_pid); stop it first" >&2; exit 1; fi
        rm -f "$DIR/serve.env"
    fi
    read -r p_inf p_man p_met p_gi p_gm < <(free_ports 5)
    p_inf="${TS_INFERENCE_PORT:-$p_inf}"; p_man="${TS_MANAGEMENT_PORT:-$p_man}"; p_met="${TS_METRICS_PORT:-$p_met}"
    p_gi="${TS_GRPC_INFERENCE_PORT:-$p_gi}"; p_gm="${TS_GRPC_MANAGEMENT_PORT:-$p_gm}"
    # logs of the previous start are kept in logs.prev (TorchServe appends to its logs otherwise)
    if [ -d "$DIR/logs" ]; then rm -rf "$DIR/logs.prev"; mv "$DIR/logs" "$DIR/logs.prev"; fi
    mkdir -p "$DIR/logs" "$DIR/tmp"
    rm -f "$DIR/tmp/.model_server.pid"
    {
        echo "# written by tools/torchserve/serve.sh start"
        echo "inference_address=http://127.0.0.1:$p_inf"
        echo "management_address=http://127.0.0.1:$p_man"
        echo "metrics_address=http://127.0.0.1:$p_met"
        echo "grpc_inference_address=127.0.0.1"
        echo "grpc_management_address=127.0.0.1"
        echo "grpc_inference_port=$p_gi"
        echo "grpc_management_port=$p_gm"
        echo "model_store=$DIR/model-store"
        echo "load_models=convnet=convnet.mar"
        echo "disable_token_authorization=true"
        echo "enable_model_api=true"
        echo "metrics_mode=prometheus"
        echo "install_py_dep_per_model=false"
        [ -n "${TS_WORKERS:-}" ] && echo "default_workers_per_model=$TS_WORKERS"
    } > "$DIR/config.properties"
    t0=$(date +%s.%N)
    (
        cd "$DIR"
        export TMPDIR="$DIR/tmp" LOG_LOCATION="$DIR/logs" METRICS_LOCATION="$DIR/logs"
        exec "$DIR/venv/bin/torchserve" --start --ncs --disable-token-auth --enable-model-api \
            --ts-config "$DIR/config.properties" --model-store "$DIR/model-store" --models convnet=convnet.mar
    ) > "$DIR/logs/launcher.out" 2>&1
    java_pid="$(cat "$DIR/tmp/.model_server.pid" 2>/dev/null || true)"
    [ -n "$java_pid" ] || { echo "serve.sh: the launcher did not start java; see $DIR/logs/launcher.out" >&2; exit 1; }
    if [ -n "${TS_NO_WAIT:-}" ]; then
        {
            echo "inference_port=$p_inf"; echo "management_port=$p_man"; echo "metrics_port=$p_met"
            echo "java_pid=$java_pid"
        } > "$DIR/serve.env"
        echo "inference_port=$p_inf management_port=$p_man metrics_port=$p_met java_pid=$java_pid"
        exit 0
    fi
    ok=""
    deadline=$(( $(date +%s) + START_TIMEOUT ))
    while [ "$(date +%s)" -lt "$deadline" ]; do
        java_alive || break
        answer="$(curl -s --max-time 5 -T "$ROOT/examples/images/digit-2.png" \
            "http://127.0.0.1:$p_inf/predictions/convnet" 2>/dev/null || true)"
        if [ "$answer" = "2" ]; then ok=1; break; fi
        sleep 0.05
    done
    t1=$(date +%s.%N)
    cold=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')
    {
        echo "inference_port=$p_inf"; echo "management_port=$p_man"; echo "metrics_port=$p_met"
        echo "java_pid=$java_pid"; echo "cold_start_s=$cold"
    } > "$DIR/serve.env"
    if [ -z "$ok" ]; then
        echo "serve.sh: no successful prediction within ${START_TIMEOUT}s (last answer: ${answer:-none}); see $DIR/logs" >&2
        "$0" stop "$DIR" || true
        exit 1
    fi
    echo "inference_port=$p_inf management_port=$p_man metrics_port=$p_met java_pid=$java_pid cold_start_s=$cold"
    ;;
stop)
    [ -f "$DIR/serve.env" ] || { echo "serve.sh: not running (no $DIR/serve.env)"; exit 0; }
    # shellcheck disable=SC1091
    . "$DIR/serve.env"
    if java_alive; then
        workers="$(pgrep -P "$java_pid" || true)"
        kill -TERM "$java_pid"
        for _ in $(seq 300); do java_alive || break; sleep 0.1; done
        if java_alive; then echo "serve.sh: java $java_pid ignored SIGTERM for 30 s; SIGKILL" >&2; kill -KILL "$java_pid" || true; fi
        for w in $workers; do  # the Python workers exit when the frontend closes their sockets
            for _ in $(seq 100); do kill -0 "$w" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$w" 2>/dev/null && kill -KILL "$w" 2>/dev/null || true
        done
    fi
    rm -f "$DIR/serve.env" "$DIR/tmp/.model_server.pid"
    echo "serve.sh: stopped"
    ;;
status)
    if [ -f "$DIR/serve.env" ]; then
        # shellcheck disable=SC1091
        . "$DIR/serve.env"
        if java_alive; then cat "$DIR/serve.env"; exit 0; fi
    fi
    echo "serve.sh: not running"; exit 3
    ;;
*)
    echo "usage: $0 start|stop|status [DIR]" >&2; exit 2 ;;
esac
