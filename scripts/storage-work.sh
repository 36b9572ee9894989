#!/usr/bin/env bash
# Storage work per approval on the Azure Storage backend: Azurite behind a counting proxy, about 4 minutes per
# variant, on a clean commit (not part of ./test.sh). Records the run in bench/Approvals.Bench/storage-runs.jsonl, then
# writes, stamped with the commit and the last change under src/ before it: the block BLOCK (default storage) of
# docs/BENCHMARKS.md from this run; with the default block, also the storage-runs block (every recorded run against
# the baseline, and the verdict computed from them) and README.md's storage block (the verdict and this run's
# figures). Commit the ledger and the documents together.
# Usage: scripts/storage-work.sh [--block NAME] [--set KEY=VALUE[,…] …]
#        scripts/storage-work.sh --verdict-only   measure nothing: recompute the storage-runs and README blocks from the ledger
set -euo pipefail
cd "$(dirname "$0")/.."
verdict_only=0
if [[ "${1:-}" == --verdict-only ]]; then
  verdict_only=1
  shift
fi
block=storage
source scripts/bench-prelude.sh
bench=(dotnet bench/Approvals.Bench/bin/Release/net10.0/approvals-bench.dll --commit "$MEASURED_COMMIT" --src-commit "$MEASURED_SRC_COMMIT")
if [[ $verdict_only -eq 1 ]]; then
  "${bench[@]}" --storage-verdict --output "artifacts/bench/$block.md" >/dev/null
else
  "${bench[@]}" --engines azurite --only storage --output "artifacts/bench/$block.md" "$@"
  python3 scripts/publish_block.py docs/BENCHMARKS.md "$block" "artifacts/bench/$block.md"
fi
if [[ "$block" == storage ]]; then
  python3 scripts/publish_block.py docs/BENCHMARKS.md storage-runs "artifacts/bench/$block.storage-runs.md"
  python3 scripts/publish_block.py README.md storage "artifacts/bench/$block.storage-summary.md"
fi
echo "docs/BENCHMARKS.md (block '$block'$([[ $block == storage ]] && echo ", storage-runs; README.md storage")) updated from commit $MEASURED_COMMIT"
