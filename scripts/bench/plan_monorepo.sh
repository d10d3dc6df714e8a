#!/usr/bin/env bash
# Affected-path planning (issue 6): a generated monorepo of 1,000 Kustomizations (10 clusters × 100 apps over
# shared bases) and one of 10 (1 cluster × 10 apps, same generator); one push editing one app's overlay. Per
# push: the time from `git push` returning to the change in the cluster's API, until every reconcile it caused
# finished, and how many renders and applies it cost, planned and with --reconcile-everything, in the same run
# (a fresh daemon on the embedded cluster per case; see plan_monorepo.py). Medians.
#   scripts/bench/plan_monorepo.sh [pushes for the 1,000 repository=5] [pushes for the 10 repository=10]
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --quiet
exec python3 scripts/bench/plan_monorepo.py "${CARGO_TARGET_DIR:-target}/release/driftless" \
  --pushes-large "${1:-5}" --pushes-small "${2:-10}"
