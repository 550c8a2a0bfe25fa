#!/usr/bin/env bash
# A long fuzz campaign: each fuzzer of a libFuzzer build (the asan preset's build-asan by default)
# for a number of executions, with the seeds, dictionary and limits of its `ctest -L fuzz` run,
# at nice 19. Prints one Markdown row per target for docs/robustness.md (executions, exec/s,
# coverage, peak RSS, wall time) and keeps each log in <build>/tests/fuzz/work/<target>/campaign.log.
#
#   tools/fuzz_campaign.sh [-b BUILD] [-n RUNS] [-t MAX_SECONDS] [-k] [TARGET...]
#   defaults: -b build-asan -n 1000000, no time limit, every target
# A crash, timeout or out-of-memory input stops that target's run and lands in
# <build>/tests/fuzz/work/<target>/artifacts/. Leaks: libFuzzer's per-input leak check scans the
# whole heap after every input that leaves memory allocated, which libtorch's caches do on
# almost every input: it took ~60% of fuzz_torchscript_model's time (28 -> 334 exec/s without
# it). So the campaign fuzzes with -detect_leaks=0 and then replays the whole final corpus,
# under ASan with LSan at exit, through fuzz_asan_replay_<target>; any leak fails the target
# then. -k keeps the per-input check (as the CTest runs do).
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-asan runs=1000000 max_seconds= leaks=at-end
while getopts b:n:t:k opt; do
  case $opt in
    b) build=$OPTARG ;; n) runs=$OPTARG ;; t) max_seconds=$OPTARG ;; k) leaks=per-input ;;
    *) sed -n 2,17p "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ -f "$build/CMakeCache.txt" ] || { echo "no build in $build (cmake --preset asan && cmake --build --preset asan)" >&2; exit 2; }

# Each "fuzz: <target> for N s" test's command and environment, as CTest would run them.
commands=$(ctest --test-dir "$build" -L fuzz --show-only=json-v1 | python3 -c '
import json, sys
for t in json.load(sys.stdin)["tests"]:
    if not t["name"].startswith("fuzz: "):
        continue
    env = next((p["value"] for p in t.get("properties", []) if p["name"] == "ENVIRONMENT"), [])
    print(t["name"].split()[1], json.dumps({"command": t["command"], "env": env}))
')
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=($(cut -d" " -f1 <<<"$commands"))

echo "| target | executions | exec/s | coverage (edges / features) | peak RSS | wall | result |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for target in "${targets[@]}"; do
  spec=$(awk -v t="$target" '$1 == t { $1 = ""; print; exit }' <<<"$commands")
  [ -n "$spec" ] || { echo "no fuzz target '$target'" >&2; exit 2; }
  log=$build/tests/fuzz/work/$target/campaign.log
  mkdir -p "$(dirname "$log")"
  start=$SECONDS
  result=clean
  python3 -c '
import json, os, subprocess, sys
spec = json.loads(sys.argv[1])
env = dict(os.environ, DIGITINFER_FUZZ_RUNS=sys.argv[2], DIGITINFER_FUZZ_LEAKS=sys.argv[4])
if sys.argv[3]:
    env["DIGITINFER_FUZZ_MAX_SECONDS"] = sys.argv[3]
for kv in spec["env"]:
    k, _, v = kv.partition("=")
    env[k] = v
rc = subprocess.call(["nice", "-n", "19"] + spec["command"], env=env)
if rc == 0 and sys.argv[4] == "at-end":
    fuzzer = next(a for a in spec["command"] if a.startswith("-DFUZZER=")).split("=", 1)[1]
    work = next(a for a in spec["command"] if a.startswith("-DWORK=")).split("=", 1)[1]
    replay = os.path.join(os.path.dirname(fuzzer), "fuzz_asan_replay_" + sys.argv[5])
    print("leak check: " + replay + " over " + work + "/corpus", flush=True)
    rc = subprocess.call(["nice", "-n", "19", replay, work + "/corpus"], env=env)  # a report fails it, into the log
    print("leak check: " + ("clean" if rc == 0 else "FAILED (the report is above)"), flush=True)
sys.exit(rc)
' "$spec" "$runs" "$max_seconds" "$leaks" "$target" > "$log" 2>&1 || result="FAILED (see $log)"
  stat() { grep -o "stat::$1: *[0-9]*" "$log" | tail -1 | grep -o "[0-9]*$" || echo "?"; }
  cov=$(grep -oE "cov: [0-9]+ ft: [0-9]+" "$log" | tail -1 | sed -E 's/cov: ([0-9]+) ft: ([0-9]+)/\1 \/ \2/')
  echo "| \`fuzz_$target\` | $(stat number_of_executed_units) | $(stat average_exec_per_sec) | ${cov:-?} | $(stat peak_rss_mb) MB | $((SECONDS - start)) s | $result |"
done
