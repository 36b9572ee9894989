#!/usr/bin/env bash
# Installs and starts, on a fresh machine, what the tests need beyond the .NET SDK. Idempotent; sourced by test.sh.
# Only package registries are reachable: Debian for Chromium, npm for Azurite and Indent's verifier, NuGet for Bicep.

PREREQ_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AZURITE_PID=""

install_chromium() {
  if [[ -x /usr/bin/chromium ]]; then return 0; fi
  echo "-- installing Debian's chromium (browser tests)"
  local sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
}

install_node_tools() {
  echo "-- npm ci tests/node (azurite, @indent/webhook)"
  (cd "$PREREQ_ROOT/tests/node" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}

install_bicep() {
  echo "-- Bicep CLI from the NuGet package Azure.Bicep.CommandLine.linux-x64"
  dotnet restore "$PREREQ_ROOT/infra/tools/BicepCli.csproj" --verbosity quiet -nologo >/dev/null || return 1
  local packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
  BICEP_PATH="$packages/azure.bicep.commandline.linux-x64/0.49.2/tools/bicep"
  chmod +x "$BICEP_PATH" && export BICEP_PATH && "$BICEP_PATH" --version
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_azurite() {
  if port_open 10000 && port_open 10001 && port_open 10002; then
    echo "-- Azurite already listening on 10000-10002"; return 0
  fi
  echo "-- starting Azurite (in-memory) on 127.0.0.1:10000-10002"
  "$PREREQ_ROOT/tests/node/node_modules/.bin/azurite" --silent --inMemoryPersistence --skipApiVersionCheck --loose \
    --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 >"$PREREQ_ROOT/artifacts/azurite.log" 2>&1 &
  AZURITE_PID=$!
  for _ in $(seq 1 100); do
    if port_open 10000 && port_open 10001 && port_open 10002; then return 0; fi
    sleep 0.2
  done
  echo "Azurite did not start; see artifacts/azurite.log"; return 1
}

stop_azurite() {
  if [[ -n "$AZURITE_PID" ]]; then
    kill "$AZURITE_PID" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$AZURITE_PID" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$AZURITE_PID" 2>/dev/null || true
  fi
}

install_prerequisites() {
  echo "== prerequisites"
  mkdir -p "$PREREQ_ROOT/artifacts"
  install_chromium && install_node_tools && install_bicep && start_azurite
}
