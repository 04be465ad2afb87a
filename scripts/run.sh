#!/usr/bin/env bash
# The main job on the embedded default: set up, then replay the project's own AIS sample.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/bootstrap.sh
mkdir -p out
exec .venv/bin/mda replay replay_data/sample/caribbean_sample.nmea \
  --alerts out/alerts.jsonl --rejects out/rejects.jsonl --stats out/stats.json "$@"
