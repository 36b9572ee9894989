#!/usr/bin/env bash
# Runs ./test.sh N times in a row (default 5) on a clean commit and writes what happened — each run's duration and its
# "N passed, N failed" line — into README.md's test-runs block, stamped with the commit, the date and the machine.
# Stops at the first failing run (a streak is only a streak while it lasts). Usage: scripts/test-runs.sh [N]
set -uo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-5}"
[[ "$RUNS" =~ ^[1-9][0-9]?$ ]] || { echo "usage: scripts/test-runs.sh [N], N from 1 to 99" >&2; exit 2; }
source scripts/commit.sh
require_clean_commit || exit 1
mkdir -p artifacts/test-runs
table=artifacts/test-runs/block.md
cores=$(nproc); memory=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1024/1024}' /proc/meminfo)
cpu=$(awk -F: '/model name/ {gsub(/^ +/, "", $2); print $2; exit}' /proc/cpuinfo)
started=$(date -u '+%Y-%m-%d %H:%M')
rows=(); passed_runs=0; status=0
for run in $(seq 1 "$RUNS"); do
  log="artifacts/test-runs/run-$run.log"
  begin=$(date +%s)
  ./test.sh >"$log" 2>&1; code=$?
  seconds=$(( $(date +%s) - begin ))
  counts=$(tail -n 1 "$log")
  rows+=("| $run | $(( seconds / 60 )) min $(( seconds % 60 )) s | $counts | $([[ $code -eq 0 ]] && echo pass || echo '**FAIL**') |")
  echo "run $run: ${seconds}s, $counts, exit $code"
  if [[ $code -ne 0 ]]; then status=1; break; fi
  passed_runs=$((passed_runs + 1))
done
{
  echo "Started $started UTC, commit \`$MEASURED_COMMIT\`, on Linux $(uname -m), $cores cores ($cpu), $memory: **$passed_runs of $RUNS** runs of \`./test.sh\` passed in a row (each on the same clone, one after the other; logs in \`artifacts/test-runs/\`)."
  echo
  echo "| run | duration | \`./test.sh\` said | |"
  echo "|---:|---|---|---|"
  printf '%s\n' "${rows[@]}"
} >"$table"
python3 scripts/publish_block.py README.md test-runs "$table"
exit $status
