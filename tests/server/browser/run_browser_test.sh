#!/usr/bin/env bash
# The drawing page's real-browser test: starts digitinfer-server on free ports, draws digits on
# its page (GET /) in headless Chromium (draw_test.mjs), stops the server.
#
#   tests/server/browser/run_browser_test.sh BUILD/examples/server/digitinfer-server [SERVER ARGS...]
#
# Extra arguments go to the server (e.g. --model FILE). Needs node (>= 18) and npm, Debian's
# chromium (CHROMIUM=/path overrides /usr/bin/chromium); runs `npm ci` here when node_modules/ is
# missing. Environment: DIGITINFER_SCREENSHOT (see draw_test.mjs).
# Exit status: 0 passed, 1 failed, 2 usage error, 77 skipped (node or chromium is not installed).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
say() { echo "run_browser_test: $*"; }
die() { echo "run_browser_test: FAILED: $*" >&2; exit 1; }

if [ $# -lt 1 ]; then
  echo "usage: $0 DIGITINFER_SERVER [SERVER ARGS...]" >&2
  exit 2
fi
server=$1
shift
[ -x "$server" ] || die "the server binary '$server' is missing or not executable"

chromium=${CHROMIUM:-/usr/bin/chromium}
if ! command -v node >/dev/null 2>&1; then
  say "skip: node is not installed (apt-get install nodejs npm)"
  exit 77
fi
if [ ! -x "$chromium" ]; then
  say "skip: no Chromium at $chromium (apt-get install --no-install-recommends chromium)"
  exit 77
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 18 ] || die "node $(node --version) is too old: puppeteer-core needs >= 18"

if [ ! -f "$here/node_modules/puppeteer-core/package.json" ]; then
  command -v npm >/dev/null 2>&1 || die "npm is needed to install puppeteer-core (apt-get install npm)"
  # One npm ci at a time (two build trees may run this test at once).
  exec 9>"${TMPDIR:-/tmp}/digitinfer-browser-npm.lock"
  command -v flock >/dev/null 2>&1 && flock -w 300 9
  if [ ! -f "$here/node_modules/puppeteer-core/package.json" ]; then
    say "npm ci in $here"
    (cd "$here" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error) || die "npm ci failed"
  fi
  exec 9>&-
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/digitinfer-browser.XXXXXX") || die "mktemp failed"
server_pid=
stop_server() {
  [ -n "$server_pid" ] || return 0
  local pid=$server_pid
  server_pid=
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "the server did not stop within 10 s of SIGTERM: killing it"
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  local status=$?
  [ "$status" -eq 0 ] || say "note: the server exited with status $status after SIGTERM (expected 0)"
  return 0
}
cleanup() {
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

"$server" --inference-address http://127.0.0.1:0 --management-address http://127.0.0.1:0 \
  --metrics-address http://127.0.0.1:0 "$@" >"$work/stdout" 2>"$work/stderr" </dev/null &
server_pid=$!

show_server_output() {
  echo "--- server stdout (head) ---" >&2
  head -n 40 "$work/stdout" >&2
  echo "--- server stderr (tail) ---" >&2
  tail -n 40 "$work/stderr" >&2
}

# Wait for "digitinfer-server: ready" (30 s at most), then read the inference port.
ready=
for _ in $(seq 300); do
  if grep -q '^digitinfer-server: ready' "$work/stdout" 2>/dev/null; then ready=1; break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    wait "$server_pid"
    rc=$?
    server_pid=
    show_server_output
    die "the server exited (status $rc) before it was ready"
  fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  show_server_output
  die "the server did not print 'digitinfer-server: ready' within 30 s"
fi
port=$(sed -n 's/^digitinfer-server: inference listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$work/stdout" | head -n 1)
if [ -z "$port" ]; then
  show_server_output
  die "no 'digitinfer-server: inference listening on 127.0.0.1:PORT' line on the server's stdout"
fi
url="http://127.0.0.1:$port"
say "server pid $server_pid, inference at $url"

CHROMIUM=$chromium node "$here/draw_test.mjs" "$url"
rc=$?
if [ $rc -ne 0 ]; then
  echo "--- server stderr (tail) ---" >&2
  tail -n 20 "$work/stderr" >&2
  exit $rc
fi

stop_server
say "passed"
exit 0
