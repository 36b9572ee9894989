#!/usr/bin/env bash
# Where the host's time goes at 50 approvals in flight: the in-memory latency run (host alone in its own process,
# 1,000 approvals, 50 concurrent) with the host's CPU sampled over its diagnostics port, then summarised into the
# block BLOCK (default profile) of docs/BENCHMARKS.md, stamped with the commit. About 2 minutes; not part of ./test.sh.
# Usage: scripts/profile-host.sh [--block NAME]. The raw trace stays in artifacts/bench/host-50.nettrace
# (dotnet-trace report artifacts/bench/host-50.nettrace topN, or open the .speedscope.json in speedscope).
set -euo pipefail
cd "$(dirname "$0")/.."
block=profile
source scripts/bench-prelude.sh
tools=artifacts/tools
if [[ ! -x $tools/dotnet-trace ]]; then
  dotnet tool install --tool-path "$tools" dotnet-trace --version 10.0.750501 >/dev/null
fi
trace=artifacts/bench/host-50.nettrace
line=$(dotnet bench/Approvals.Bench/bin/Release/net10.0/approvals-bench.dll --profile "$trace" | tail -1)
echo "$line"
"$tools/dotnet-trace" convert "$trace" --format Speedscope -o artifacts/bench/host-50 >/dev/null
python3 scripts/profile_summary.py artifacts/bench/host-50.speedscope.json "$MEASURED_COMMIT" "${line%%; trace *}" > "artifacts/bench/$block.md"
python3 scripts/publish_block.py docs/BENCHMARKS.md "$block" "artifacts/bench/$block.md"
echo "docs/BENCHMARKS.md block '$block' updated from commit $MEASURED_COMMIT"
