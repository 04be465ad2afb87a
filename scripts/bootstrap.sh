#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install the project with its dev tools.
# Idempotent: re-installs only when pyproject.toml changed since the last install.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
py="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv with $($py --version)" >&2
  "$py" -m venv .venv
fi
stamp=.venv/.mda-installed
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "bootstrap: installing the project and its dependencies (first run takes a minute)" >&2
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  echo "$want" > "$stamp"
fi
# Byte-compile the project's own modules (an editable install does not): where the environment
# sets PYTHONDONTWRITEBYTECODE, Python would otherwise compile every module on every `mda` run
# (~0.1-0.2 s of each command). Files already compiled and unchanged are skipped.
.venv/bin/python -m compileall -q -j 0 mda ingest detectors zones maps > /dev/null
