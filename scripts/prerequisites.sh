#!/usr/bin/env bash
# Installs, on a fresh machine, what the tests need beyond the .NET SDK. Idempotent; sourced by test.sh.
# Only package registries are reachable: npm for Azurite, Debian for Chromium, NuGet for the Bicep CLI.

install_prerequisites() {
  echo "== prerequisites"
  : # filled in as the test suite grows
}
