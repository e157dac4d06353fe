#!/usr/bin/env bash
# Creates .venv with papertiger installed (editable) plus the given extras, once per
# pyproject.toml version. Usage: scripts/venv.sh [EXTRAS], e.g. scripts/venv.sh dev
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
  [ -x .venv/bin/python ] || "$py" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  spec="."
  [ -n "$extras" ] && spec=".[$extras]"
  echo "installing papertiger${extras:+ with [$extras]} into .venv ..." >&2
  .venv/bin/python -m pip install -q -e "$spec"
  touch "$stamp"
fi
