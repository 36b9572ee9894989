#!/usr/bin/env bash
# The test command: installs what the tests need, builds warning-free, runs every test project,
# and ends with one line "N passed, N failed" summed over all of them.
set -uo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
RESULTS="$ROOT/artifacts/test-results"
rm -rf "$RESULTS"; mkdir -p "$RESULTS"

source "$ROOT/scripts/prerequisites.sh"
trap stop_azurite EXIT
install_prerequisites || { echo "prerequisites failed"; echo "0 passed, 1 failed"; exit 1; }

echo "== build"
if ! dotnet build "$ROOT/Approvals.sln" -c Release -warnaserror -nologo -v:q; then
  echo "build failed"; echo "0 passed, 1 failed"; exit 1
fi

echo "== test"
status=0
for project in "$ROOT"/tests/*/*.csproj; do
  name=$(basename "$project" .csproj)
  [[ "$name" == *Bench* ]] && continue
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
    --results-directory "$RESULTS" || status=1
done

passed=0; failed=0
for trx in "$RESULTS"/*.trx; do
  [[ -f "$trx" ]] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
# The tail of a log is what a CI page shows: name every failed test (and the start of its message) there.
if [[ $failed -gt 0 ]]; then
  echo "== failed tests"
  python3 - "$RESULTS" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for trx in sorted(glob.glob(sys.argv[1] + "/*.trx")):
    for r in ET.parse(trx).getroot().iterfind(".//t:UnitTestResult", ns):
        if r.get("outcome") == "Failed":
            message = r.find(".//t:ErrorInfo/t:Message", ns)
            text = " ".join((message.text or "").split())[:400] if message is not None else ""
            print(f"FAILED {r.get('testName')} ({r.get('duration')}): {text}")
PY
fi
if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; fi
if [[ $passed -eq 0 ]]; then status=1; fi
echo "$passed passed, $failed failed"
exit $status
