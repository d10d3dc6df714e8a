#!/usr/bin/env bash
# Emulator benchmarks (issue 2): server-side applies per second of a typical
# Deployment over loopback HTTP (wrk), and resident memory with 10,000 stored
# Deployments. Prints a Markdown table for docs/benchmarks.md.
#   scripts/bench/emulator.sh [runs=3] [seconds=10]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}; secs=${2:-10}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
cargo build --release --quiet
bin=target/release/driftless
here=scripts/bench
work=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_emulator() {
  port=$(free_port)
  "$bin" emulator --listen "127.0.0.1:$port" --log warn >"$work/emu.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  curl -sf -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$port/api/v1/namespaces" \
    -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench"}}' >/dev/null
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
rps() { awk '/Requests\/sec/ {print $2}'; }
p99() { awk '/ 99%/ {print $2}'; }

declare -A result
for mode in create update; do
  rates=(); lat=()
  for r in $(seq "$runs"); do
    start_emulator
    if [ "$mode" = update ]; then
      # Objects to update: 500 per wrk thread.
      BODY=$here/deployment.json MODE=create wrk -t2 -c2 -d2s -s $here/apply.lua "http://127.0.0.1:$port" >/dev/null
    fi
    out=$(BODY=$here/deployment.json MODE=$mode COUNT=500 wrk -t2 -c8 -d"${secs}s" --latency -s $here/apply.lua "http://127.0.0.1:$port")
    if echo "$out" | grep -q "Non-2xx"; then echo "$out" >&2; echo "errors during $mode run" >&2; exit 1; fi
    rates+=("$(echo "$out" | rps)"); lat+=("$(echo "$out" | p99)")
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
  result[$mode]="$(printf '%s\n' "${rates[@]}" | median) | ${lat[*]}"
done

start_emulator
secs_load=$(python3 $here/load.py "http://127.0.0.1:$port" 10000 4 $here/deployment.json)
# Let the simulated controllers finish writing status.
sleep 3
rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
count=$(curl -s "http://127.0.0.1:$port/apis/apps/v1/namespaces/bench/deployments" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
kill "$pid"

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
echo "Machine: $(nproc) cores, $cpu; $(date -u +%Y-%m-%d)"
echo
echo "| measurement | median of $runs | p99 latency per run | target |"
echo "|---|---|---|---|"
echo "| server-side apply, new Deployment (creates), applies/s | ${result[create]} | ≥ 2,000 |"
echo "| server-side apply, changed Deployment (updates), applies/s | ${result[update]} | ≥ 2,000 |"
echo "| resident memory with $count Deployments | $((rss_kb / 1024)) MiB | (loaded in ${secs_load}s) | < 200 MB |"
