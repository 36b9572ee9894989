#!/usr/bin/env bash
# Storage work per approval on the Azure Storage backend: Azurite behind a counting proxy, about 4 minutes per
# variant, on a clean commit (not part of ./test.sh). Records the run in bench/Approvals.Bench/storage-runs.jsonl, then
# writes the block BLOCK (default storage) of docs/BENCHMARKS.md from this run, with the comparison with the baseline
# computed from every recorded run, stamped with the commit and the last change under src/ before it; with the default
# block, also README.md's storage block (the comparison's verdict and this run's figures). Commit all three together.
# Usage: scripts/storage-work.sh [--block NAME] [--set KEY=VALUE[,…] …]
set -euo pipefail
cd "$(dirname "$0")/.."
block=storage
source scripts/bench-prelude.sh
dotnet bench/Approvals.Bench/bin/Release/net10.0/approvals-bench.dll --engines azurite --only storage --commit "$MEASURED_COMMIT" --src-commit "$MEASURED_SRC_COMMIT" --output "artifacts/bench/$block.md" "$@"
python3 scripts/publish_block.py docs/BENCHMARKS.md "$block" "artifacts/bench/$block.md"
if [[ "$block" == storage ]]; then
  python3 scripts/publish_block.py README.md storage "artifacts/bench/$block.storage-summary.md"
fi
echo "docs/BENCHMARKS.md block '$block' updated from commit $MEASURED_COMMIT"
