#!/usr/bin/env bash
# Sets everything up and runs assay's main job on the bundled demo: installs
# the dependencies, builds, polls the demo feeds once into ./var/assay and
# shows what it found. Idempotent: run it again and it re-polls (finding
# nothing new).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target assayd assay
echo
echo "== assayd --once --config demo/assay.yaml"
build/release/daemon/assayd --once --config demo/assay.yaml
echo
echo "== assay feeds --config demo/assay.yaml"
build/release/cli/assay feeds --config demo/assay.yaml
echo
echo "== assay events --config demo/assay.yaml"
build/release/cli/assay events --config demo/assay.yaml
