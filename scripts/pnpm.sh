#!/usr/bin/env bash
# Runs the pnpm version pinned in package.json#packageManager without needing a global pnpm
# (the build machines ship Node and npm only; corepack's signature check fails on our mirror).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="$(node -p "require('$root/package.json').packageManager.split('@')[1]")"
export npm_config_update_notifier=false
exec npx --yes "pnpm@${version}" "$@"
