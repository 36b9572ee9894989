#!/usr/bin/env bash
# The long reliability suite (issue "Prove it holds"): 50,000 forged webhooks, 75 raced approvals,
# 72 workflows SIGKILLed on Azurite, 60 outage scenarios, 7,500 generated bad inputs, 1,000 concurrent
# approvals. Writes artifacts/reliability/figures.jsonl and regenerates the table in docs/RELIABILITY.md.
# Takes about 15 minutes on a 2-core machine. Usage: scripts/reliability.sh [short|long]
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE="${1:-long}"
source scripts/prerequisites.sh
trap stop_azurite EXIT
install_prerequisites
dotnet build Approvals.sln -c Release -warnaserror -nologo -v:q
rm -f artifacts/reliability/figures.jsonl
RELIABILITY_SCALE="$SCALE" dotnet test tests/EndToEnd.Tests -c Release --no-build -nologo \
  --filter "Category=Reliability" --logger "console;verbosity=normal"
python3 scripts/reliability_table.py artifacts/reliability/figures.jsonl docs/RELIABILITY.md "$SCALE"
echo "docs/RELIABILITY.md updated from a $SCALE run"
