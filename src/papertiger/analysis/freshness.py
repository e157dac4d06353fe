"""Is a form fresh for a model? Released after its stated training cutoff, or — a weaker
test, labelled as such — after the model's own release when no cutoff is stated."""

from __future__ import annotations

import datetime as dt
from typing import Any

from papertiger.analysis.results import Freshness

BY_CUTOFF = "training cutoff"
BY_RELEASE = "release date (weaker)"


def as_date(value: Any) -> dt.date | None:
    """A date from a date, a datetime or an ISO string; None for anything else."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def freshness(
    form_released: dt.date | None, training_cutoff: Any, model_released: Any
) -> tuple[Freshness, str | None]:
    """(verdict, basis): 'fresh' or 'not fresh' by the cutoff, else by the release date;
    'unknown' when the form's date or both of the model's dates are missing."""
    if form_released is None:
        return "unknown", None
    cutoff = as_date(training_cutoff)
    if cutoff is not None:
        return ("fresh" if form_released > cutoff else "not fresh"), BY_CUTOFF
    released = as_date(model_released)
    if released is not None:
        return ("fresh" if form_released > released else "not fresh"), BY_RELEASE
    return "unknown", None
