#!/usr/bin/env bash
# The full benchmark (not part of ./test.sh): both engines, about 30 minutes on 2 cores, on a clean commit.
# Regenerates the tables in docs/BENCHMARKS.md and the headline rows in README.md from this one run, stamped with
# the commit, the last change under src/ before it, the date and the machine; each latency, throughput and memory row
# carries the targets judged on it. A full run's storage measurement is also recorded in
# bench/Approvals.Bench/storage-runs.jsonl (commit it with the tables). Usage: scripts/bench.sh [--block NAME] [extra approvals-bench args]
set -euo pipefail
cd "$(dirname "$0")/.."
block=bench
source scripts/bench-prelude.sh
rm -f artifacts/bench/report.storage-runs.md artifacts/bench/report.storage-summary.md
dotnet bench/Approvals.Bench/bin/Release/net10.0/approvals-bench.dll --commit "$MEASURED_COMMIT" --src-commit "$MEASURED_SRC_COMMIT" --output artifacts/bench/report.md "$@"
python3 scripts/publish_block.py docs/BENCHMARKS.md "$block" artifacts/bench/report.md
if [[ "$block" == bench ]]; then
  python3 scripts/publish_block.py README.md bench artifacts/bench/report.summary.md
fi
if [[ -f artifacts/bench/report.storage-runs.md ]]; then
  # This run's storage measurement was recorded: every recorded run against the baseline, recomputed with it.
  python3 scripts/publish_block.py docs/BENCHMARKS.md storage-runs artifacts/bench/report.storage-runs.md
  python3 scripts/publish_block.py README.md storage artifacts/bench/report.storage-summary.md
fi
echo "docs/BENCHMARKS.md (block '$block') updated from commit $MEASURED_COMMIT"
