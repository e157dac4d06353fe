"""Retry policy for model requests: exponential backoff with jitter, Retry-After honoured."""

from __future__ import annotations

import email.utils
import math
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["RetryPolicy", "retry_after_seconds"]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter; a 429's Retry-After is a floor (capped).

    A model with several base URLs moves a request that failed for its server's sake
    (connection, timeout, 5xx) to another one at once, and rests the failing server
    for `cooldown_s`, doubling with each failure in a row up to `cooldown_max_s`.
    """

    max_attempts: int = 6
    backoff_s: float = 1.0
    backoff_max_s: float = 60.0
    budget_s: float = 900.0  # counted from the first failure
    retry_after_cap_s: float = 120.0
    cooldown_s: float = 5.0
    cooldown_max_s: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 0 < self.cooldown_s <= self.cooldown_max_s:
            raise ValueError("cooldown_s must be positive and at most cooldown_max_s")


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: delta-seconds (fractions accepted) or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None
