#!/usr/bin/env bash
# Runs every property-based test (fast-check) ROUNDS times, each with a fresh random seed and
# FC_NUM_RUNS cases per property where a test does not set its own count. A failure prints the
# seed and the shrunk counterexample; reproduce it with FC_SEED=<seed> and the same command.
# Usage: bash scripts/fuzz.sh [ROUNDS]   (default 10; FC_NUM_RUNS defaults to 1000)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rounds="${1:-10}"
export FC_NUM_RUNS="${FC_NUM_RUNS:-1000}"
unset FC_SEED
mapfile -t files < <(grep -rl --include='*.test.ts' "from \"fast-check\"" packages apps | sort)
for ((round = 1; round <= rounds; round++)); do
  for file in "${files[@]}"; do
    package_dir="${file%%/src/*}"
    (cd "$package_dir" && bash "$root/scripts/pnpm.sh" exec vitest run "${file#"$package_dir"/}" --reporter=dot) || {
      echo "fuzz: round $round failed in $file" >&2
      exit 1
    }
  done
done
echo "fuzz: $rounds rounds over ${#files[@]} property test files passed"
