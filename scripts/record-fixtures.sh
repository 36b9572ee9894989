#!/usr/bin/env bash
# Records replay fixtures from a commit's build: builds that commit's local host (scripts/build-commit.sh), runs each
# scenario of tests/EndToEnd.Tests/Replay/FixtureRecorderTests.cs on it against Azurite (the Azure Storage backend), and
# writes every instance's stored history to tests/Core.Tests/Workflow/Replay/Fixtures/<commit>/, replacing what was
# there. The recording is kept only if each scenario ended as expected, the waiting points are in it, no secret is in
# it and today's orchestrators replay it. Starts Azurite if nothing listens on 10000-10002 (and stops it after).
# Usage: scripts/record-fixtures.sh COMMIT
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ $# -eq 1 ]] || { echo "usage: $0 COMMIT" >&2; exit 2; }
source "$ROOT/scripts/prerequisites.sh"
mkdir -p "$ROOT/artifacts"

host=$("$ROOT/scripts/build-commit.sh" "$1")
commit=$(basename "$(dirname "$host")")
out="$ROOT/tests/Core.Tests/Workflow/Replay/Fixtures/$commit"

[[ -x "$ROOT/tests/node/node_modules/.bin/azurite" ]] || install_node_tools
trap stop_azurite EXIT
start_azurite
dotnet build "$ROOT/tests/EndToEnd.Tests/EndToEnd.Tests.csproj" -c Release -nologo -v:q

recorded=$(mktemp -d)
APPROVALS_RECORD_HOST="$host" APPROVALS_RECORD_COMMIT="$commit" APPROVALS_RECORD_OUT="$recorded" \
  dotnet test "$ROOT/tests/EndToEnd.Tests/EndToEnd.Tests.csproj" -c Release --no-build -nologo \
  --filter "FullyQualifiedName~FixtureRecorderTests" --logger "console;verbosity=normal"
rm -rf "$out" && mkdir -p "$(dirname "$out")" && mv "$recorded" "$out" && chmod 755 "$out"
echo "fixtures from $commit: $out ($(ls "$out" | wc -l) files)"
