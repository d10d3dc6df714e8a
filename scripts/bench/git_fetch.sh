#!/usr/bin/env bash
# Incremental git fetch: driftless's Mirror::fetch against `git fetch`, in the same run, as a ratio.
#
# Generates an origin with 10,000 files (100 directories of 100) and 5,000 commits with `git fast-import`, then
# runs benches/git_fetch.rs: the initial depth-1 fetch of `main`, the fetch of one new commit (median of RUNS,
# default 15), and a fetch with nothing new, each into a driftless mirror and into an equivalent bare git mirror
# (also depth 1 at first, incremental after). Prints a Markdown table for docs/benchmarks.md.
#
# Usage: scripts/bench/git_fetch.sh [RUNS]      (FILES and COMMITS may be set in the environment)
set -euo pipefail

runs=${1:-15}
files=${FILES:-10000}
commits=${COMMITS:-5000}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1

origin="$work/origin"
git init -q -b main "$origin"
started=$(date +%s.%N)
# One fast-import stream: the first commit adds every file, each later one changes one file.
awk -v files="$files" -v commits="$commits" 'BEGIN {
  for (c = 1; c <= commits; c++) {
    print "commit refs/heads/main"
    print "committer Bench <bench@example.com> " (1700000000 + c * 60) " +0000"
    msg = "commit " c
    print "data " length(msg); print msg
    if (c == 1) { first = 0; last = files - 1 } else { first = (c * 7919) % files; last = first }
    for (f = first; f <= last; f++) {
      body = sprintf("kind: ConfigMap\nmetadata:\n  name: cm-%d\ndata:\n  value: \"%d-%d\"\n", f, f, c)
      printf "M 100644 inline apps/app-%03d/manifest-%03d.yaml\n", int(f / 100), f % 100
      print "data " length(body); print body
    }
    print ""
  }
}' | git -C "$origin" fast-import --quiet
git -C "$origin" checkout -q -f main
generated=$(awk -v from="$started" -v to="$(date +%s.%N)" 'BEGIN { printf "%.1f", to - from }')

echo "## Incremental fetch, $(date -u +%Y-%m-%d), $(nproc) cores, $(git --version)"
echo
echo "Origin: $files files, $commits commits (generated in ${generated}s with git fast-import)."
echo
cargo bench --quiet --manifest-path "$root/Cargo.toml" --bench git_fetch -- "$origin" "$runs"
