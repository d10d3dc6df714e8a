#!/usr/bin/env bash
# Regenerates the expectations of the kustomize conformance corpus (tests/kustomize/)
# with the oracle, `kubectl kustomize`:
#
#   scripts/kustomize-goldens.sh                 every case
#   scripts/kustomize-goldens.sh CASE [CASE...]  the named cases (directory names under tests/kustomize/)
#
# For each case it builds files/<target> (target: the one-line `target` file; `.` is files/ itself) and
# writes either expected.yaml (kustomize's stdout, byte for byte) when kustomize succeeds, or expected.err
# (its stderr) when kustomize rejects the input, removing the other file. Warnings kustomize prints while
# succeeding (deprecated fields) are not recorded. In expected.err, so that regenerating on any machine gives
# the same bytes:
#   - klog's "E1125 14:53:54.618067    5049 run.go:72] " line prefix is stripped;
#   - the absolute path of the case's files/ directory is written as FILES;
#   - the DNS resolver address and the path of the git binary (remote resources) are written as
#     RESOLVER and git, and Go pointer values (0xc000123456) as 0xADDR.
# Remote resources cannot be fetched on these machines (no network); their cases record that failure.
#
# Requires kubectl whose `kubectl version --client` reports "Kustomize Version: v5.5.0"; the script refuses
# to run otherwise. KUBECONFIG is unset for every call: with a kubeconfig pointing at a server, kubectl may
# switch to a different kustomize version.
#
# Adding a case:
#   1. mkdir -p tests/kustomize/<feature-what-it-shows>/files, and write the input tree there (our own,
#      realistic manifests; a kustomization.yaml at the directory you build);
#   2. echo . > tests/kustomize/<case>/target   (or the directory under files/ to build, e.g. overlays/prod);
#   3. scripts/kustomize-goldens.sh <case>, then read expected.yaml / expected.err: is it what the case means
#      to show?
#   4. cargo test --test render_conformance; if driftless does not match yet, list the case in
#      tests/kustomize/KNOWN_FAILURES (or run the test once with DRIFTLESS_UPDATE_KNOWN_FAILURES=1).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd -P)"
corpus="$root/tests/kustomize"
want_version="v5.5.0"

kustomize() { env -u KUBECONFIG LC_ALL=C kubectl kustomize "$@"; }

version="$(env -u KUBECONFIG kubectl version --client 2>/dev/null | sed -n 's/^Kustomize Version: //p')"
if [ "$version" != "$want_version" ]; then
  echo "kustomize-goldens: kubectl reports Kustomize Version '${version:-none}', need $want_version;" \
    "the goldens must come from kustomize $want_version" >&2
  exit 1
fi

if (($#)); then
  cases=("$@")
else
  cases=()
  for d in "$corpus"/*/; do cases+=("$(basename "$d")"); done
fi

# Makes kustomize's stderr independent of the machine, the time and the process id.
sanitize_err() {
  local files="$1"
  sed -E \
    -e 's/^[IWEF][0-9]{4} [0-9:.]+ +[0-9]+ [A-Za-z0-9_.-]+:[0-9]+\] //' \
    -e "s#${files//#/\\#}#FILES#g" \
    -e 's/(lookup [^ ]+ on )[][0-9a-fA-F.:]+:53/\1RESOLVER/g' \
    -e "s#'[^' ]*/git (fetch|init|clone|remote|checkout)#'git \\1#g" \
    -e 's#/tmp/kustomize-[0-9]+#/tmp/kustomize-TMP#g' \
    -e 's/0xc[0-9a-f]{6,}/0xADDR/g'
}

status=0
for name in "${cases[@]}"; do
  case_dir="$corpus/$name"
  if [ ! -d "$case_dir/files" ] || [ ! -f "$case_dir/target" ]; then
    echo "kustomize-goldens: $name: needs files/ and a target file" >&2
    status=1
    continue
  fi
  files="$(cd "$case_dir/files" && pwd -P)"
  target="$(tr -d '[:space:]' <"$case_dir/target")"
  out="$(mktemp)"
  err="$(mktemp)"
  if (cd "$files" && kustomize "${target:-.}") >"$out" 2>"$err"; then
    mv "$out" "$case_dir/expected.yaml"
    rm -f "$case_dir/expected.err" "$err"
    echo "$name: ok"
  else
    sanitize_err "$files" <"$err" >"$case_dir/expected.err"
    rm -f "$case_dir/expected.yaml" "$out" "$err"
    echo "$name: kustomize rejects it: $(head -c 160 "$case_dir/expected.err" | head -n 1)"
  fi
done
exit "$status"
