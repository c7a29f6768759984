#!/usr/bin/env bash
# Runs every shipped scenario in sim-scenarios/ and prints a table of verdicts.
# Usage: scripts/run-all-scenarios.sh [--jobs N] [--quick] [extra zonesim run flags]
# --jobs N runs N scenarios at once (default 1). A quick scenario keeps less than one core busy
# (its load is light and its timeline mostly waits), so CI runs two at a time on its two cores.
# Exit status: 0 when every scenario passes, 1 otherwise. Results go to results/all-<time>/<name>/.
set -uo pipefail
cd "$(dirname "$0")/.."

jobs=1
flags=()
while [ $# -gt 0 ]; do
  case $1 in
    --jobs) jobs=$2; shift 2 ;;
    --jobs=*) jobs=${1#--jobs=}; shift ;;
    *) flags+=("$1"); shift ;;
  esac
done
if ! [[ $jobs =~ ^[1-9][0-9]*$ ]]; then echo "run-all-scenarios: --jobs must be a positive integer, got '$jobs'" >&2; exit 2; fi
out="results/all-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$out"

# One scenario: runs it, writes "<name> <verdict> <secs>" to $out/<name>.verdict, prints its line.
run_one() {
  local file=$1 name start status secs verdict
  name=$(basename "$file" .yaml)
  start=$(date +%s)
  node packages/cli/bin/zonesim.js run "$file" --out "$out/$name" --quiet "${flags[@]}" >"$out/$name.log" 2>&1
  status=$?
  secs=$(( $(date +%s) - start ))
  case $status in
    0) verdict=PASS ;;
    1) verdict=FAIL ;;
    2) verdict=INVALID ;;
    *) verdict="ERROR($status)" ;;
  esac
  echo "$name $verdict $secs" >"$out/$name.verdict"
  printf '%-24s %-10s %5ss\n' "$name" "$verdict" "$secs" >&2
  if [ "$verdict" != PASS ]; then tail -25 "$out/$name.log" >&2; fi
}

running=0
for file in sim-scenarios/*.yaml; do
  run_one "$file" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait

failed=0
echo
printf '%-24s %-10s %6s  %s\n' scenario verdict time results
for file in sim-scenarios/*.yaml; do
  name=$(basename "$file" .yaml)
  if [ -f "$out/$name.verdict" ]; then read -r _ verdict secs <"$out/$name.verdict"; else verdict=MISSING; secs=0; fi
  [ "$verdict" = PASS ] || failed=1
  printf '%-24s %-10s %5ss  %s\n' "$name" "$verdict" "$secs" "$out/$name"
done
exit $failed
