#!/usr/bin/env bash
# Installs real TorchServe 0.12.0 next to Debian's torch and archives the DigitInfer ConvNet for it.
#
#     tools/torchserve/setup.sh [DIR]        (DIR default: $DIGITINFER_TORCHSERVE_DIR or /tmp/digitinfer-torchserve)
#
# - apt-get installs openjdk-17-jre-headless and python3-matplotlib (captum needs it) when missing (as root);
# - DIR/venv: `/usr/bin/python3 -m venv --system-site-packages`, so Debian's torch 1.13, torchvision, Pillow,
#   numpy, psutil, PyYAML, packaging are used as they are (never `pip install torch`); TorchServe and the
#   model archiver are installed with --no-deps, one package at a time, and nothing else is pulled in;
# - DIR/model-store/convnet.mar: models/convnet.traced.pt + tools/torchserve/handler.py;
# - DIR/config.properties is written by tools/torchserve/serve.sh start (the ports are picked at start).
# Idempotent: a second run reuses what is there (delete DIR to start over).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DIR="${1:-${DIGITINFER_TORCHSERVE_DIR:-/tmp/digitinfer-torchserve}}"
PY=/usr/bin/python3

need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
$PY -c 'import matplotlib' >/dev/null 2>&1 || need_apt+=(python3-matplotlib)
if ((${#need_apt[@]})); then
    echo "setup: apt-get install ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi
java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
if [ "${java_major:-0}" -lt 11 ]; then
    echo "setup: TorchServe 0.12 needs Java >= 11 (found ${java_major:-none})" >&2
    exit 1
fi

mkdir -p "$DIR"
if [ ! -x "$DIR/venv/bin/python" ]; then
    echo "setup: venv $DIR/venv (system site packages)"
    $PY -m venv --system-site-packages "$DIR/venv"
fi
VPY="$DIR/venv/bin/python"
# Pure-Python packages, each --no-deps: what TorchServe's frontend launcher, its Python backend
# (ts.model_service_worker, ts.torch_handler.base_handler) and torch-model-archiver import beyond Debian's.
PKGS=(torchserve==0.12.0 torch-model-archiver==0.12.0 captum==0.7.0 tqdm enum-compat)
missing=()
for p in "${PKGS[@]}"; do
    name="${p%%==*}"
    "$VPY" -m pip show -q "$name" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: pip install --no-deps ${missing[*]}"
    "$VPY" -m pip install -q --no-deps "${missing[@]}"
fi
"$VPY" -c 'import ts, model_archiver, captum, torch, torchvision, PIL, psutil, yaml, packaging' \
    || { echo "setup: a module TorchServe needs does not import in $DIR/venv" >&2; exit 1; }

mkdir -p "$DIR/model-store"
if [ ! -f "$DIR/model-store/convnet.mar" ] || [ "$ROOT/models/convnet.traced.pt" -nt "$DIR/model-store/convnet.mar" ] \
        || [ "$HERE/handler.py" -nt "$DIR/model-store/convnet.mar" ]; then
    echo "setup: archiving $DIR/model-store/convnet.mar"
    "$DIR/venv/bin/torch-model-archiver" --model-name convnet --version 1.0 \
        --serialized-file "$ROOT/models/convnet.traced.pt" --handler "$HERE/handler.py" \
        --export-path "$DIR/model-store" --force
fi
echo "setup: ok: $DIR (start it with: tools/torchserve/serve.sh start)"
