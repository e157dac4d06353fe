"""Row and file factories shared by the benchmark tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

WriteJsonl = Callable[..., Path]


def aime_rows(year: int, n: int = 30) -> list[dict[str, Any]]:
    """`n` AIME-shaped rows in the layout of ../shared/data."""
    rows = []
    for i in range(n):
        exam, number = ("I", i + 1) if i < 15 else ("II", i - 14)
        rows.append(
            {
                "id": f"aime{year}-{exam}-{number:02d}",
                "year": year,
                "exam": exam,
                "number": number,
                "problem": f"Problem {i + 1} of {year}: find $x$.",
                "answer": (7 * i + year) % 1000,
                "released": f"{year}-02-0{1 if exam == 'I' else 7}",
            }
        )
    return rows


def write_jsonl(
    path: Path, rows: list[dict[str, Any]], blank_line_after: int | None = None
) -> Path:
    lines = [json.dumps(row) for row in rows]
    if blank_line_after is not None:
        lines.insert(blank_line_after, "")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
