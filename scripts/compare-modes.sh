#!/usr/bin/env bash
# Runs scenarios for real and in virtual time (same seed), one after the other, and prints a table of
# the two modes' metrics, the difference, the tolerance and PASS/FAIL (issue 16).
# Usage: scripts/compare-modes.sh [--quick] [--json] [--markdown] [--out DIR] [--seed SEED] [SCENARIO ...]
# Default: every shipped scenario whose functions are all synthetic and that has no trace workload.
# Exit status: 0 when every row is within tolerance, 1 otherwise, 2 on bad usage.
# See scripts/compare-modes.ts; the tolerances and their reasons are in scripts/lib/mode-agreement.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -b
exec node --import=tsx scripts/compare-modes.ts "$@"
