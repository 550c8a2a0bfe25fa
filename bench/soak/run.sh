#!/usr/bin/env bash
# The server soak of issue 11 (bench/soak/soak.py says what it does and what passing means):
#
#     bench/soak/run.sh                                      # 10 minutes
#     bench/soak/run.sh --segments 2 --segment-seconds 20    # a quick look
#
# Needs: wrk (apt-get install wrk), /usr/bin/python3 with requests, torch, torchvision and Pillow
# (tests/server/serverlib.py), digitinfer-server at $DIGITINFER_SERVER_BIN (default: the build/ tree's).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec /usr/bin/python3 bench/soak/soak.py "$@"
