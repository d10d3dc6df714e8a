#!/usr/bin/env bash
# Regenerates the YAML fidelity goldens under tests/yaml/ with the oracle,
# `kubectl kustomize` (kustomize v5.5).
#
# Each case is a directory tests/yaml/<case>/ holding in.yaml. The script
# builds a throw-away directory with that file and a kustomization.yaml
# (`resources: [in.yaml]`), runs `kubectl kustomize` on it, and writes
#   out.yaml      what kustomize printed, when it succeeded, or
#   expected.err  kustomize's error message, when it refused the input
# (removing the other file). tests/render_yaml.rs then checks that
# driftless prints out.yaml byte for byte, or also refuses the input.
#
# Usage: scripts/yaml-goldens.sh [case...]   (default: every case)
# KUBECONFIG is ignored: kustomize needs no cluster.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cases_dir="$root/tests/yaml"
command -v kubectl >/dev/null || { echo "kubectl is required" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ "$#" -gt 0 ]; then cases=("$@"); else
  cases=(); for d in "$cases_dir"/*/; do cases+=("$(basename "$d")"); done
fi

for case in "${cases[@]}"; do
  dir="$cases_dir/$case"
  [ -f "$dir/in.yaml" ] || { echo "$case: no in.yaml" >&2; exit 1; }
  build="$work/$case"
  mkdir -p "$build"
  cp "$dir/in.yaml" "$build/in.yaml"
  printf 'resources:\n- in.yaml\n' > "$build/kustomization.yaml"
  if env -u KUBECONFIG kubectl kustomize "$build" > "$work/out" 2> "$work/err"; then
    mv "$work/out" "$dir/out.yaml"
    rm -f "$dir/expected.err"
    echo "$case: out.yaml"
  else
    # Keep kustomize's message only: drop klog's prefix and the build path.
    sed -e 's/^E[0-9]* [0-9:.]* *[0-9]* [a-z_.]*:[0-9]*\] "command failed" //' \
        -e "s#$build#<dir>#g" "$work/err" > "$dir/expected.err"
    rm -f "$dir/out.yaml"
    echo "$case: expected.err"
  fi
done
