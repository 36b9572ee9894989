#!/usr/bin/env bash
# How current each published block of figures is. For every <!-- NAME:start --> block in README.md and docs/ (the
# test runs, reliability, benchmark and storage blocks), from its stamp (first line) and git: the commit it was measured
# on; the commit of the last change under src/ at or before it (as git says, and as the stamp says where it names one);
# how many commits touching src/ came after it on this branch. A block with 0 measured the code as it is; N > 0 means
# src/ changed N times since (the figure may or may not have moved: measure again to know).
# Blocks kept on purpose as measured on a past commit (the baseline, each change's own measurement, the "before" of the
# profile) say "historical" and never count as stale.
# Usage: scripts/figures-status.sh [--check]   (--check: exit 1 when any other block is stale or unstamped)
set -euo pipefail
historical=" storage-baseline storage-step-1 storage-step-2 storage-step-3 latency "
cd "$(dirname "$0")/.."
check=0
[[ "${1:-}" == --check ]] && check=1
stale=0
printf '%-20s %-18s %-13s %-26s %-9s %s\n' file block measured "last src/ change (git|stamp)" "src since" state
for file in README.md docs/RELIABILITY.md docs/BENCHMARKS.md; do
  # NAME<TAB>first line of the block
  while IFS=$'\t' read -r name first; do
    measured=$(grep -oE 'commit `?[0-9a-f]{7,40}' <<<"$first" | head -1 | grep -oE '[0-9a-f]{7,40}$' || true)
    if [[ -z "$measured" ]] || ! git cat-file -e "$measured^{commit}" 2>/dev/null; then
      printf '%-20s %-18s %-13s %-26s %-9s %s\n' "$file" "$name" "${measured:--}" - - "no stamp with a known commit"
      stale=1
      continue
    fi
    src=$(git log -1 --format=%h --abbrev=12 "$measured" -- src/)
    stamped=$(grep -oE 'last change under src/: `[0-9a-f]+`' <<<"$first" | grep -oE '[0-9a-f]+`$' | tr -d '`' || true)
    if ! git merge-base --is-ancestor "$measured" HEAD; then
      since="-"; state="measured off this branch"; stale=1
    else
      since=$(git rev-list --count "$measured..HEAD" -- src/)
      if [[ "$since" -eq 0 ]]; then state="current"
      elif [[ "$historical" == *" $name "* ]]; then state="historical: kept as measured"
      else state="stale: src/ changed since"; stale=1; fi
    fi
    if [[ -n "$stamped" && "$stamped" != "${src:0:${#stamped}}" ]]; then
      state="$state; STAMP DISAGREES WITH GIT"; stale=1
    fi
    printf '%-20s %-18s %-13s %-26s %-9s %s\n' "$file" "$name" "${measured:0:12}" "${src:0:12}|${stamped:--}" "$since" "$state"
  done < <(awk '
    match($0, /<!-- [A-Za-z0-9_-]+:start -->/) { name = substr($0, RSTART + 5, RLENGTH - 15); want = 1; next }
    want && NF { print name "\t" $0; want = 0 }' "$file")
done
if [[ $check -eq 1 && $stale -ne 0 ]]; then
  exit 1
fi
