# Sourced by the scripts that publish figures: they measure one commit, with nothing uncommitted in the tree,
# and stamp it on what they write. Sets MEASURED_COMMIT.
require_clean_commit() {
  if [[ -n "$(git status --porcelain --untracked-files=no)" ]]; then
    echo "uncommitted changes: published figures must come from one commit; commit (or stash) first" >&2
    return 1
  fi
  MEASURED_COMMIT=$(git rev-parse --short=12 HEAD)
  export MEASURED_COMMIT
}
