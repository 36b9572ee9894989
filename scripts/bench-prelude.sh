# Sourced by the scripts that publish benchmark figures: a clean commit (MEASURED_COMMIT), the prerequisites installed
# and Azurite started (stopped again when the calling script exits), the benchmark built.
source scripts/commit.sh
require_clean_commit
source scripts/prerequisites.sh
trap stop_azurite EXIT
install_prerequisites
dotnet build bench/Approvals.Bench -c Release -warnaserror -nologo -v:q
mkdir -p artifacts/bench
