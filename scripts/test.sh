#!/usr/bin/env bash
# The test suite on a fresh machine: .venv with test tools (and the dedup extra when it can
# be installed), Chromium for the browser tests,
# then ruff, import-linter (layers), mypy and pytest (slow tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/venv.sh dev
bash scripts/dedup-extra.sh   # optional: the embedding tests skip without it
bash scripts/ensure-chromium.sh
.venv/bin/ruff check src tests bench
.venv/bin/lint-imports
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
