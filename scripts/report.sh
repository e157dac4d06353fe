#!/usr/bin/env bash
# The main job on a fresh machine: install into .venv, then `papertiger report` on the
# embedded data, also writing papertiger-report.html. Extra arguments go to the command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/venv.sh
.venv/bin/papertiger report --html papertiger-report.html "$@"
