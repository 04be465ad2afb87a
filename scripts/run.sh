#!/usr/bin/env bash
# The main job on the embedded default: set up, then run the demo - a seeded Caribbean detection
# exercise replayed through every detector, with alerts, the report map and the score.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/bootstrap.sh
mkdir -p out
exec .venv/bin/mda demo "$@"
