#!/usr/bin/env bash
set -euo pipefail

echo "starting with $*"
exec /app/server "$@"
