#!/usr/bin/env bash
# Push-to-applied latency (issue 3): `driftless quickstart` (embedded cluster,
# post-receive hook), N pushes that each change one Deployment field; the time
# from `git push` returning to the change being visible in the cluster API.
#   scripts/bench/push_latency.sh [pushes=20]
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-20}
cargo build --release --quiet
work=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port); cport=$(free_port)
target/release/driftless quickstart --dir "$work/qs" --listen "127.0.0.1:$port" --cluster-listen "127.0.0.1:$cport" \
  >"$work/out.log" 2>&1 &
for _ in $(seq 600); do grep -q "Ctrl-C stops" "$work/out.log" && break; sleep 0.1; done
grep -q "Ctrl-C stops" "$work/out.log" || { cat "$work/out.log"; exit 1; }
python3 scripts/bench/push_latency.py "$work/qs" "http://127.0.0.1:$cport" "$n" >"$work/times"
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
p90() { sort -n | awk '{a[NR]=$1} END {i=int(NR*0.9); if (i<1) i=1; print a[i]}'; }
after=$(cut -d' ' -f2 "$work/times")
whole=$(cut -d' ' -f1 "$work/times")
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
echo "Machine: $(nproc) cores, $cpu; $(date -u +%Y-%m-%d); $n pushes"
echo
echo "| measurement | median | p90 | target |"
echo "|---|---|---|---|"
echo "| push-to-applied, from \`git push\` returning (ms) | $(echo "$after" | median) | $(echo "$after" | p90) | < 1,000 (later < 150) |"
echo "| from \`git push\` starting, hook included (ms) | $(echo "$whole" | median) | $(echo "$whole" | p90) | — |"
