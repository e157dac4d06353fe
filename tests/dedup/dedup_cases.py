"""Cases for the dedup tests, built from ../shared/data: two wordings, number swaps."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

FILES = ("aime_2024", "aime_2025", "aime_2026", "hmmt_feb_2024", "hmmt_feb_2025")
_DIGITS = re.compile(r"\d+")


def load_rows(shared_data: Path) -> list[dict[str, Any]]:
    """Every problem row of the AIME and HMMT files, in file order."""
    rows: list[dict[str, Any]] = []
    for name in FILES:
        lines = (shared_data / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        rows.extend(json.loads(line) for line in lines if line.strip())
    return rows


def two_wordings(rows: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(id, problem, problem_alt) for every row that has a second published wording."""
    return [(r["id"], r["problem"], r["problem_alt"]) for r in rows if r.get("problem_alt")]


def swap_numbers(text: str, seed: int) -> str:
    """`text` with every integer replaced by a different one (a number-swapped variant)."""
    rng = random.Random(seed)

    def other(match: re.Match[str]) -> str:
        return str(int(match.group()) + rng.randint(1, 97))

    return _DIGITS.sub(other, text)
