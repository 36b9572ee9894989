#!/usr/bin/env bash
# Storage work per approval on the Azure Storage backend: Azurite behind a counting proxy, about 4 minutes per
# variant, on a clean commit (not part of ./test.sh). Writes the block BLOCK (default storage) of docs/BENCHMARKS.md
# from this one run, stamped with the commit. Usage: scripts/storage-work.sh [--block NAME] [--set KEY=VALUE[,…] …]
set -euo pipefail
cd "$(dirname "$0")/.."
block=storage
source scripts/bench-prelude.sh
dotnet bench/Approvals.Bench/bin/Release/net10.0/approvals-bench.dll --engines azurite --only storage --commit "$MEASURED_COMMIT" --output "artifacts/bench/$block.md" "$@"
python3 scripts/publish_block.py docs/BENCHMARKS.md "$block" "artifacts/bench/$block.md"
echo "docs/BENCHMARKS.md block '$block' updated from commit $MEASURED_COMMIT"
