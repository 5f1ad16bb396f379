#!/usr/bin/env bash
# Installs @ag-ui/client for tests/web/test_web_agui.py (run by scripts/dev test; a no-op when
# node/npm are missing — the test then skips, or fails under CI).
set -euo pipefail
cd "$(dirname "$0")"
command -v npm >/dev/null 2>&1 || exit 0
if [ ! -d node_modules/@ag-ui/client ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
