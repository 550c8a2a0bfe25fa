#!/usr/bin/env bash
# The server benchmark of issue 9 (see bench/server/bench.py for what it measures and how):
#
#     bench/server/run.sh                      # all four servers, 2 rounds, wrk -d 10s: ~15 minutes
#     bench/server/run.sh --servers flask,torchserve --rounds 1 --duration 5
#
# Needs: wrk (apt-get install wrk), /usr/bin/python3 with torch, torchvision, Pillow, Flask, gunicorn;
# TorchServe from tools/torchserve/setup.sh (else skipped); digitinfer-server at $DIGITINFER_SERVER
# (default build/examples/server/digitinfer-server; else skipped). Output: bench/server/out/<stamp>/.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec /usr/bin/python3 bench/server/bench.py "$@"
