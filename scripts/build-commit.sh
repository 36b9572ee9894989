#!/usr/bin/env bash
# Builds the local host as it was at another commit — the previous release, for the upgrade test and for recording
# replay fixtures — into artifacts/builds/<commit>/, once; a later call for the same commit reuses that build.
# Prints the path of its approvals-local.dll. Usage: scripts/build-commit.sh COMMIT
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ $# -eq 1 ]] || { echo "usage: $0 COMMIT" >&2; exit 2; }
commit=$(git -C "$ROOT" rev-parse --verify --quiet "$1^{commit}") || { echo "$1: no such commit in this clone" >&2; exit 2; }
commit=${commit:0:12}
out="$ROOT/artifacts/builds/$commit"
if [[ -f "$out/approvals-local.dll" ]]; then echo "$out/approvals-local.dll"; exit 0; fi

# The commit's files, not a worktree: nothing is registered in the repository, and the build sees only that commit.
src=$(mktemp -d "${TMPDIR:-/tmp}/approvals-build-$commit.XXXXXX")
trap 'rm -rf "$src"' EXIT
git -C "$ROOT" archive "$commit" | tar -x -C "$src"
echo "-- building src/Local at $commit" >&2
dotnet build "$src/src/Local/Local.csproj" -c Release -nologo -v:q -o "$src/out" >&2
mkdir -p "$ROOT/artifacts/builds"
# Atomic: two callers building the same commit at once both end with one complete build.
mv -T "$src/out" "$out" 2>/dev/null || [[ -f "$out/approvals-local.dll" ]]
echo "$out/approvals-local.dll"
