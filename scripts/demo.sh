#!/usr/bin/env bash
# Installs and builds everything, then runs the demo: a simulated fleet managed end to end.
# Extra arguments go to `ops-manager demo` (e.g. `--dir ./demo-out`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export TURBO_TELEMETRY_DISABLED=1 TURBO_NO_UPDATE_NOTIFIER=1 NO_UPDATE_NOTIFIER=1
bash scripts/pnpm.sh install --frozen-lockfile
bash scripts/pnpm.sh exec turbo run build --output-logs=errors-only
node apps/cli/dist/index.js demo "$@"
