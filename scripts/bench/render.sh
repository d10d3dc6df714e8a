#!/usr/bin/env bash
# Render speed (issue 5): whole-process `driftless build` against `kubectl kustomize` (kustomize v5.5) on the
# same input in the same run, on a small overlay (7 objects) and a large one (502 objects: a base of 125 apps and
# the prod overlay with patches, images, replicas and generators; see render_fixture.py). Medians via hyperfine;
# also checks that both print the same bytes. Then the in-process render (criterion, benches/render.rs).
#   scripts/bench/render.sh [runs=20]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-20}
cargo build --release --quiet
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
python3 scripts/bench/render_fixture.py "$work"
unset KUBECONFIG
kubectl version --client 2>/dev/null | grep -q 'Kustomize Version: v5.5' || { echo "kubectl must bundle kustomize v5.5" >&2; exit 1; }
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
echo "Machine: $(nproc) cores, $cpu; $(date -u +%Y-%m-%d); $runs runs each"
echo
echo "| input | objects | \`driftless build\` | \`kubectl kustomize\` | speed-up | same output |"
echo "|---|---|---|---|---|---|"
for case in small/overlay large/prod; do
  dir="$work/$case"
  target/release/driftless build --root "$work" "$dir" >"$work/ours.yaml"
  kubectl kustomize "$dir" >"$work/theirs.yaml" 2>/dev/null
  same=$(cmp -s "$work/ours.yaml" "$work/theirs.yaml" && echo yes || echo NO)
  objects=$(grep -c '^kind:' "$work/theirs.yaml")
  hyperfine -N -w 2 -r "$runs" --export-json "$work/h.json" \
    "target/release/driftless build --root $work $dir" "kubectl kustomize $dir" >/dev/null 2>&1
  read -r ours theirs < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(r[0]["median"], r[1]["median"])' "$work/h.json")
  python3 -c 'import sys; o,t=float(sys.argv[1]),float(sys.argv[2]); print(f"| {sys.argv[3]} | {sys.argv[4]} | {o*1000:.1f} ms | {t*1000:.1f} ms | {t/o:.1f}× | {sys.argv[5]} |")' \
    "$ours" "$theirs" "$case" "$objects" "$same"
done
echo
DRIFTLESS_RENDER_FIXTURE="$work" cargo bench --quiet --bench render 2>/dev/null | grep -E '^(render|large|small)|time:' || true
