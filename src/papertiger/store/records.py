"""What the store holds: one `AttemptRecord` per attempt, and what a batch write did.

An attempt record is a `Completion` (what came back) plus its identity (who was asked
what, how, and in which run). It is the unit the runner writes and `iter_attempts` reads
back, so a regrade can rebuild everything it needs without the network.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import AwareDatetime, ConfigDict, Field

from papertiger.schema import Completion

Role = Literal["old", "fresh"]


def utc_now() -> dt.datetime:
    """The current time, timezone-aware in UTC (stored timestamps are always UTC)."""
    return dt.datetime.now(dt.UTC)


def iso_utc(moment: dt.datetime) -> str:
    """Fixed-width ISO 8601 in UTC, so stored timestamps sort as text."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def pack_raw(raw: str | None) -> bytes | None:
    """The verbatim response, zlib-compressed for storage.

    A streamed reply is the SSE body as received (about 20 KB for 1,024 tokens, ten times
    that at one token per event); it compresses about 17-fold, so a k = 64 run of 60 items
    stays megabytes, not gigabytes. Compression is lossless: `unpack_raw` gives it back.
    """
    return None if raw is None else zlib.compress(raw.encode("utf-8"), 1)


def unpack_raw(value: object) -> str | None:
    """Inverse of `pack_raw`; plain text (older rows, error history) passes through."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes | memoryview):
        return zlib.decompress(bytes(value)).decode("utf-8")
    raise TypeError(f"unexpected raw value of type {type(value).__name__}")


class AttemptRecord(Completion):
    """One stored attempt: the completion's fields plus the attempt's identity.

    `model` is the catalogue name, `endpoint_model` the id sent to the endpoint;
    `benchmark` is the set name (e.g. 'aime2024') and `role` says whether that set is the
    suite's 'old' or 'fresh' half. `sampling_json` is the canonical JSON of the sampling
    parameters that went into the key. No field may hold a secret: keys come from the
    environment and never reach a record.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str | None = None
    model: str
    endpoint_model: str
    base_url: str | None = None
    suite: str
    benchmark: str
    role: Role | None = None
    item_id: str
    sample_index: int = Field(ge=0)
    seed: int | None = None
    prompt_name: str
    prompt_hash: str
    sampling_json: str = "{}"
    created_at: AwareDatetime = Field(default_factory=utc_now)

    @classmethod
    def from_completion(cls, completion: Completion, **identity: Any) -> AttemptRecord:
        """Attach identity fields (run_id, model, suite, item_id, ...) to a completion."""
        return cls(**completion.model_dump(), **identity)

    def completion(self) -> Completion:
        """The plain `Completion` inside this record (what a grader takes)."""
        fields = Completion.model_fields.keys()
        return Completion(**{name: getattr(self, name) for name in fields})


@dataclass(frozen=True)
class PutResult:
    """What one `put_attempts` batch did.

    `skipped` counts records whose key already held an 'ok' attempt (never overwritten);
    `replaced` counts earlier 'error' attempts superseded by a newer try.
    """

    inserted: int = 0
    replaced: int = 0
    skipped: int = 0
    grades_added: int = 0
