#!/usr/bin/env bash
# Sets everything up and runs the whole test suite: installs the
# dependencies, builds the dev preset (warnings are errors) and runs ctest.
# Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev
ctest --preset dev --parallel 2 --timeout 600
