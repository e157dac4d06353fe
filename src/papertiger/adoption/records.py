"""One line of arXiv's metadata snapshot → what the adoption count needs, or a problem.

The snapshot (Kaggle "Cornell-University/arxiv", `arxiv-metadata-oai-snapshot.json`) is
JSON Lines; each object has `id`, `title`, `abstract`, `categories` (space-separated, the
primary first) and `versions`, a list like
``[{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}, ...]``. A paper is dated
by its first version, so a revision years later does not move it. `papertiger adoption
harvest` writes the same shape, so one reader serves both.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

_MONTHS = {
    name: i
    for i, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
REQUIRED = ("id", "title", "abstract", "categories", "versions")


@dataclass(frozen=True)
class Problem:
    """A record that was skipped: where it is and what is wrong with it."""

    line: int
    field: str | None
    message: str

    def describe(self, path: str) -> str:
        where = f"{path}, line {self.line}" + (f", field '{self.field}'" if self.field else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Paper:
    """The parts of a record the count uses."""

    id: str
    month: str  # "YYYY-MM" of the first version
    categories: tuple[str, ...]
    text: str  # title and abstract


def parse_line(line: bytes, number: int) -> Paper | Problem:
    """Parse and check one snapshot line; a Problem names the line and the field."""
    try:
        record = json.loads(line)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        return Problem(number, None, _json_error(line))
    if not isinstance(record, dict):
        return Problem(number, None, f"expected a JSON object, got {type(record).__name__}")
    for key in REQUIRED:
        if key not in record:
            return Problem(number, key, "missing")
    for key in ("id", "title", "abstract", "categories"):
        if not isinstance(record[key], str):
            return Problem(number, key, f"expected a string, got {_kind(record[key])}")
    try:
        month = _first_month(record["versions"])
    except _Unreadable as exc:
        return Problem(number, "versions", str(exc))
    return Paper(
        record["id"],
        month,
        tuple(record["categories"].split()),
        f"{record['title']}\n{record['abstract']}",
    )


def _json_error(line: bytes) -> str:
    """Why the line is not JSON (without its newline, so a cut-off line says so)."""
    try:
        json.loads(line.rstrip())
    except json.JSONDecodeError as exc:
        return f"not valid JSON ({exc.msg}: column {exc.colno})"
    except ValueError as exc:
        return f"not valid JSON ({exc})"
    return "not valid JSON"


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


class _Unreadable(ValueError):
    """The versions list gives no usable first date."""


def _first_month(versions: Any) -> str:
    """ "YYYY-MM" of version v1 (else of the first listed)."""
    if not isinstance(versions, list) or not versions:
        raise _Unreadable("expected a non-empty list of versions")
    first = next(
        (v for v in versions if isinstance(v, dict) and v.get("version") == "v1"), versions[0]
    )
    created = first.get("created") if isinstance(first, dict) else None
    if not isinstance(created, str):
        raise _Unreadable("first version has no 'created' date")
    month = month_of(created)
    if month is None:
        raise _Unreadable(f"cannot read the date {created!r}")
    return month


def month_of(created: str) -> str | None:
    """'Mon, 2 Apr 2007 19:18:42 GMT' (the snapshot's form) or '2007-04-02' → '2007-04'."""
    parts = created.replace(",", " ").split()
    if len(parts) >= 3 and not parts[0][:1].isdigit():
        parts = parts[1:]  # drop the weekday
    if len(parts) >= 3 and parts[0].isdigit():
        number = _MONTHS.get(parts[1][:3].lower())
        if number is not None and parts[2].isdigit() and len(parts[2]) == 4:
            return f"{parts[2]}-{number:02d}"
    try:
        day = dt.date.fromisoformat(created.strip()[:10])
    except ValueError:
        return None
    return f"{day.year:04d}-{day.month:02d}"


def rfc2822_day(day: dt.date) -> str:
    """A date in the snapshot's `created` form, at midnight GMT (OAI gives no time of day)."""
    weekday = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[day.weekday()]
    month = tuple(_MONTHS)[day.month - 1].title()
    return f"{weekday}, {day.day} {month} {day.year} 00:00:00 GMT"
