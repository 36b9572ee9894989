#!/usr/bin/env bash
# The full benchmark (not part of ./test.sh): both engines, about 30 minutes on 2 cores, on a clean commit.
# Regenerates the tables in docs/BENCHMARKS.md and the headline rows in README.md from this one run, stamped with
# the commit, the date and the machine. Usage: scripts/bench.sh [--block NAME] [extra approvals-bench args]
set -euo pipefail
cd "$(dirname "$0")/.."
block=bench
source scripts/bench-prelude.sh
dotnet bench/Approvals.Bench/bin/Release/net10.0/approvals-bench.dll --commit "$MEASURED_COMMIT" --output artifacts/bench/report.md "$@"
python3 scripts/publish_block.py docs/BENCHMARKS.md "$block" artifacts/bench/report.md
if [[ "$block" == bench ]]; then
  python3 scripts/publish_block.py README.md bench artifacts/bench/report.summary.md
fi
echo "docs/BENCHMARKS.md (block '$block') updated from commit $MEASURED_COMMIT"
