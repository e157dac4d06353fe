"""The tidy attempts table: column order, the grade join, and pandas dtypes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

from papertiger.schema import Completion
from papertiger.store.records import AttemptRecord

# Identity first, then what came back: the order of the tidy frame's columns.
ATTEMPT_COLUMNS: tuple[str, ...] = (
    "key",
    *(name for name in AttemptRecord.model_fields if name not in Completion.model_fields),
    *(name for name in Completion.model_fields if name != "key"),
)
GRADE_COLUMNS = (
    "grader",
    "grader_version",
    "extracted",
    "correct",
    "method",
    "fallback",
    "truncated",
    "graded_at",
)
INT_COLUMNS = (
    "sample_index",
    "seed",
    "prompt_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "retries",
)
FLOAT_COLUMNS = ("latency_s", "ttft_s", "output_tokens_per_s")
BOOL_COLUMNS = ("correct", "fallback", "truncated")


def frame_query(latest: bool, include_raw: bool) -> str:
    """SQL for attempts LEFT JOIN grades; `:grader` (or NULL for any) picks the grades.

    Grades are ranked newest first per attempt (created_at, then id for ties), so
    `latest` keeps rank 1 and otherwise every grade yields its own row.
    """
    columns = [c for c in ATTEMPT_COLUMNS if include_raw or c != "raw"]
    selected = ", ".join(f"a.{c}" for c in columns)
    ranked = (
        "SELECT g.*, ROW_NUMBER() OVER (PARTITION BY g.attempt_key"
        " ORDER BY g.created_at DESC, g.id DESC) AS rn"
        " FROM grades g WHERE (:grader IS NULL OR g.grader = :grader)"
    )
    join = "r.attempt_key = a.key" + (" AND r.rn = 1" if latest else "")
    return (
        f"WITH r AS ({ranked}) SELECT {selected}, r.grader, r.version AS grader_version,"
        " r.extracted, r.correct, r.method, r.fallback, r.truncated, r.created_at AS graded_at"
        f" FROM attempts a LEFT JOIN r ON {join} ORDER BY a.created_at, a.key, r.rn"
    )


def typed_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable integer/boolean dtypes and UTC timestamps, whatever SQLite returned."""
    import pandas as pd

    for column in INT_COLUMNS:
        frame[column] = frame[column].astype("Int64")
    for column in FLOAT_COLUMNS:
        frame[column] = frame[column].astype("float64")
    for column in BOOL_COLUMNS:
        frame[column] = frame[column].astype("Int64").astype("boolean")
    for column in ("created_at", "graded_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    return frame
