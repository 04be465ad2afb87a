#!/usr/bin/env bash
# The whole test suite: set up, lint (ruff), type-check (mypy), test (pytest).
# Shared real data is found through MDA_SHARED_DATA (default: ../shared/data beside the clone);
# in CI (CI=true) its absence fails the run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/bootstrap.sh
bash scripts/ensure-chromium.sh       # Debian chromium + chromium-driver, for the browser tests
.venv/bin/mda assets fetch            # Leaflet and the land layer from npm, for offline maps
export MDA_SHARED_DATA="${MDA_SHARED_DATA:-$root/../shared/data}"
echo "== ruff"; .venv/bin/ruff check .
echo "== mypy"; .venv/bin/mypy
echo "== pytest"; .venv/bin/python -m pytest -m "slow or not slow" "$@"  # the whole suite
