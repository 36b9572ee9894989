#!/usr/bin/env bash
# The full benchmark (not part of ./test.sh): both engines, about 15 minutes on 2 cores.
# Writes artifacts/bench/report.md; docs/BENCHMARKS.md quotes it. Usage: scripts/bench.sh [extra approvals-bench args]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prerequisites.sh
trap stop_azurite EXIT
install_prerequisites
dotnet build bench/Approvals.Bench -c Release -warnaserror -nologo -v:q
dotnet bench/Approvals.Bench/bin/Release/net10.0/approvals-bench.dll "$@"
