#!/usr/bin/env bash
# The reliability suite at full size (forged webhooks, races, SIGKILLs at named points on Azurite, Indent outages,
# generated bad input, concurrent load), on a clean commit. Writes artifacts/reliability/figures.jsonl and regenerates
# the table in docs/RELIABILITY.md and the summary in README.md from this one run, stamped with the commit, the date
# and the machine. About 20 minutes on a 2-core machine. Usage: scripts/reliability.sh [short|long]
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE="${1:-long}"
source scripts/commit.sh
require_clean_commit
source scripts/prerequisites.sh
trap stop_azurite EXIT
install_prerequisites
dotnet build Approvals.sln -c Release -warnaserror -nologo -v:q
rm -f artifacts/reliability/figures.jsonl
status=0
RELIABILITY_SCALE="$SCALE" dotnet test tests/EndToEnd.Tests -c Release --no-build -nologo \
  --filter "Category=Reliability" --logger "console;verbosity=normal" || status=$?
python3 scripts/reliability_table.py artifacts/reliability/figures.jsonl docs/RELIABILITY.md README.md "$SCALE" "$MEASURED_COMMIT"
echo "docs/RELIABILITY.md and README.md updated from a $SCALE run of commit $MEASURED_COMMIT (tests exit $status)"
exit $status
