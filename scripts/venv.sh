#!/usr/bin/env bash
# Creates .venv with papertiger installed (editable) plus the given extras, once per
# pyproject.toml version, saying what it does at each step (pip's own progress included).
# Usage: scripts/venv.sh [EXTRAS], e.g. scripts/venv.sh dev
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
py="${PYTHON:-python3}"
if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "papertiger needs Python 3.11 or newer (found: $("$py" --version 2>&1))" >&2
  exit 1
fi
stamp=".venv/.installed-${extras:-base}-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  if [ ! -x .venv/bin/python ]; then
    echo "[1/3] creating .venv with $("$py" --version 2>&1)" >&2
    "$py" -m venv .venv
  else
    echo "[1/3] reusing .venv" >&2
  fi
  echo "[2/3] updating pip" >&2
  .venv/bin/python -m pip install --disable-pip-version-check -q --upgrade pip
  spec="."
  [ -n "$extras" ] && spec=".[$extras]"
  echo "[3/3] installing papertiger${extras:+ with [$extras]} and its dependencies into .venv" >&2
  echo "      (pip prints each package; a first install takes a few minutes)" >&2
  .venv/bin/python -m pip install --disable-pip-version-check --progress-bar off -e "$spec" 2>&1 \
    | grep -v "^WARNING: Location 'file:" >&2
  touch "$stamp"
  echo "done: .venv holds $(du -sh .venv | cut -f1)" >&2
fi
