#!/usr/bin/env bash
# The reliability suite (forged webhooks, races, SIGKILLs at named points on Azurite, Indent outages, generated bad
# input, concurrent load, secret scans of the engine's raw record). Writes artifacts/reliability/figures.jsonl, the run's
# TRX report and the table (artifacts/reliability/table.md), printed too: every row the manifest expects, each
# comparing what the suite set out to do with an independent record. Exits non-zero when any suite fails, any expected
# row is missing or any row does not hold.
#   scripts/reliability.sh         long: on a clean commit, about 20 minutes on 2 cores; also rewrites the table in
#                                  docs/RELIABILITY.md and the summary in README.md, stamped with the commit
#   scripts/reliability.sh short   the short version (as in ./test.sh), a few minutes; publishes nothing
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE="${1:-long}"
[[ "$SCALE" == short || "$SCALE" == long ]] || { echo "usage: scripts/reliability.sh [short|long]" >&2; exit 2; }
source scripts/commit.sh
dirty=()
if [[ "$SCALE" == long ]]; then
  require_clean_commit
else
  MEASURED_COMMIT=$(git rev-parse --short=12 HEAD)
  [[ -z "$(git status --porcelain --untracked-files=no)" ]] || dirty=(--dirty)
fi
source scripts/prerequisites.sh
trap stop_azurite EXIT
install_prerequisites
dotnet build Approvals.sln -c Release -warnaserror -nologo -v:q
out=artifacts/reliability
rm -f "$out/figures.jsonl" "$out/reliability.trx"
tests=0
RELIABILITY_SCALE="$SCALE" dotnet test tests/EndToEnd.Tests -c Release --no-build -nologo \
  --filter "Category=Reliability" --logger "console;verbosity=normal" \
  --logger "trx;LogFileName=reliability.trx" --results-directory "$out" || tests=$?
publish=()
[[ "$SCALE" == long ]] && publish=(--publish docs/RELIABILITY.md README.md)
table=0
python3 scripts/reliability_table.py --figures "$out/figures.jsonl" --trx "$out/reliability.trx" --scale "$SCALE" \
  --commit "$MEASURED_COMMIT" "${dirty[@]}" --out "$out/table.md" "${publish[@]}" || table=$?
echo "reliability ($SCALE, commit $MEASURED_COMMIT${dirty:+ with uncommitted changes}): tests exit $tests, table exit $table (artifacts/reliability/table.md)${publish:+; docs/RELIABILITY.md and README.md updated}"
if [[ $tests -ne 0 || $table -ne 0 ]]; then
  exit 1
fi
