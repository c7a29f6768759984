#!/usr/bin/env bash
# Runs every shipped scenario in sim-scenarios/ one after the other and prints a table of verdicts.
# Usage: scripts/run-all-scenarios.sh [--quick] [extra zonesim run flags]
# Exit status: 0 when every scenario passes, 1 otherwise. Results go to results/all-<time>/<name>/.
set -uo pipefail
cd "$(dirname "$0")/.."

flags=("$@")
out="results/all-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$out"
declare -a rows=()
failed=0
for file in sim-scenarios/*.yaml; do
  name=$(basename "$file" .yaml)
  start=$(date +%s)
  node packages/cli/bin/zonesim.js run "$file" --out "$out/$name" --quiet "${flags[@]}" >"$out/$name.log" 2>&1
  status=$?
  secs=$(( $(date +%s) - start ))
  case $status in
    0) verdict=PASS ;;
    1) verdict=FAIL; failed=1 ;;
    2) verdict=INVALID; failed=1 ;;
    *) verdict="ERROR($status)"; failed=1 ;;
  esac
  rows+=("$(printf '%-24s %-10s %5ss  %s' "$name" "$verdict" "$secs" "$out/$name")")
  printf '%-24s %-10s %5ss\n' "$name" "$verdict" "$secs" >&2
  if [ "$verdict" != PASS ]; then tail -25 "$out/$name.log" >&2; fi
done
echo
printf '%-24s %-10s %6s  %s\n' scenario verdict time results
for r in "${rows[@]}"; do echo "$r"; done
exit $failed
