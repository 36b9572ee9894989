# Sourced by the scripts that publish benchmark figures: an optional leading `--block NAME` taken off the caller's
# arguments into `block` (the caller sets its default first), a clean commit (MEASURED_COMMIT, and MEASURED_SRC_COMMIT:
# the last change under src/ at or before it, which the stamps name), the prerequisites
# installed and Azurite started (stopped again when the calling script exits), the benchmark built.
if [[ "${1:-}" == "--block" ]]; then
  block=${2:?--block takes a name}
  shift 2
fi
source scripts/commit.sh
require_clean_commit
MEASURED_SRC_COMMIT=$(git log -1 --format=%h --abbrev=12 "$MEASURED_COMMIT" -- src/)
source scripts/prerequisites.sh
trap stop_azurite EXIT
install_prerequisites
dotnet build bench/Approvals.Bench -c Release -warnaserror -nologo -v:q
mkdir -p artifacts/bench
