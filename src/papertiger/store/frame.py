"""The tidy attempts table: column order, the grade and item joins, filters, dtypes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

from papertiger.store.records import ATTEMPT_COLUMNS

GRADE_COLUMNS = (
    "grader",
    "grader_version",
    "gold_hash",
    "extracted",
    "score",
    "correct",
    "method",
    "flags",
    "graded_at",
)
ITEM_COLUMNS = ("gold", "problem")
INT_COLUMNS = (
    "sample_index",
    "seed",
    "seed_base",
    "prompt_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "retries",
)
FLOAT_COLUMNS = ("cost_usd", "latency_s", "queue_s", "ttft_s", "output_tokens_per_s", "score")
BOOL_COLUMNS = ("correct",)


@dataclass(frozen=True)
class AttemptFilter:
    """Which attempts to read: each field, when set, keeps only matching rows."""

    suites: Sequence[str] = ()
    forms: Sequence[str] = ()
    models: Sequence[str] = ()
    conditions: Sequence[str] = ()
    tasks: Sequence[str] = ()
    prompt_hashes: Sequence[str] = ()
    status: str | None = None
    max_sample: int | None = None  # only samples with index below this

    def where(self, alias: str = "a") -> tuple[str, list[Any]]:
        """SQL condition and parameters for these filters ('1' when none is set)."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, values in (
            ("suite", self.suites),
            ("form", self.forms),
            ("model", self.models),
            ("condition", self.conditions),
            ("task", self.tasks),
            ("prompt_hash", self.prompt_hashes),
        ):
            if values:
                clauses.append(f"{alias}.{column} IN ({','.join('?' * len(values))})")
                params.extend(values)
        if self.status is not None:
            clauses.append(f"{alias}.status = ?")
            params.append(self.status)
        if self.max_sample is not None:
            clauses.append(f"{alias}.sample_index < ?")
            params.append(self.max_sample)
        return (" AND ".join(clauses) or "1"), params


def frame_query(
    latest: bool, include_raw: bool, where: str = "1", columns: Sequence[str] | None = None
) -> str:
    """SQL for attempts LEFT JOIN grades LEFT JOIN items; `:grader` (or NULL) picks grades.

    Grades are ranked newest first per attempt (created_at, then id for ties), so `latest`
    keeps rank 1 and otherwise every grade yields its own row. Items give each attempt the
    gold answer and problem text the store knows now.
    """
    wanted = [c for c in (columns or ATTEMPT_COLUMNS) if include_raw or c != "raw"]
    selected = ", ".join(f"a.{c}" for c in wanted)
    ranked = (
        "SELECT g.*, ROW_NUMBER() OVER (PARTITION BY g.attempt_key"
        " ORDER BY g.created_at DESC, g.id DESC) AS rn"
        " FROM grades g WHERE (? IS NULL OR g.grader = ?)"
    )
    join = "r.attempt_key = a.key" + (" AND r.rn = 1" if latest else "")
    return (
        f"WITH r AS ({ranked}) SELECT {selected}, r.grader, r.version AS grader_version,"
        " r.gold_hash, r.extracted, r.score, r.correct, r.method, r.flags,"
        " r.created_at AS graded_at, i.answer AS gold, i.problem AS problem"
        f" FROM attempts a LEFT JOIN r ON {join}"
        " LEFT JOIN items i ON i.suite = a.suite AND i.form = a.form AND i.item_id = a.item_id"
        f" WHERE {where} ORDER BY a.created_at, a.key, r.rn"
    )


def typed_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable integer/boolean dtypes and UTC timestamps, whatever SQLite returned."""
    import pandas as pd

    for column in INT_COLUMNS:
        if column in frame.columns:
            frame[column] = frame[column].astype("Int64")
    for column in FLOAT_COLUMNS:
        if column in frame.columns:
            frame[column] = frame[column].astype("float64")
    for column in BOOL_COLUMNS:
        if column in frame.columns:
            frame[column] = frame[column].astype("Int64").astype("boolean")
    for column in ("created_at", "graded_at"):
        if column in frame.columns:
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    if "flags" in frame.columns:
        frame["flags"] = frame["flags"].fillna("").astype(str)
    return frame
