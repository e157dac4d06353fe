"""Endpoints: which server answered each model's attempts, how often it failed, how fast.

A model can list several base URLs (replicas of one model); every attempt is stored with
the URL of its last try. This section appears only when some model's attempts came from
more than one URL: it says how the load was spread and whether one server failed or
lagged. Failed tries that a later try on another URL made good are not attempts of their
own: `papertiger run` prints them per endpoint in its summary.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from papertiger.analysis.sections.base import SectionInput, register_builder
from papertiger.analysis.sections.speed import Spread, spread

__all__ = ["EndpointRow", "EndpointsSection", "build_endpoints"]

SECTION = "endpoints"
UNKNOWN = "(not recorded)"
_COLUMNS = ("model", "endpoint", "status", "latency_s", "retries")


@dataclass(frozen=True)
class EndpointRow:
    """One model on one endpoint: attempts whose last try it served, their share of the
    model's attempts, how many ended in an error or needed retries, and the end-to-end
    time of the successful ones."""

    model: str
    endpoint: str
    attempts: int
    share: float
    ok: int
    errors: int
    retried: int
    latency: Spread | None


@dataclass(frozen=True)
class EndpointsSection:
    """Rows per model × endpoint, models in store order, endpoints by attempts served."""

    rows: tuple[EndpointRow, ...]
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per model × endpoint."""
        return pd.DataFrame([
            {"model": r.model, "endpoint": r.endpoint, "attempts": r.attempts, "share": r.share,
             "ok": r.ok, "errors": r.errors, "retried": r.retried,
             "latency_median": None if r.latency is None else r.latency.median,
             "latency_q1": None if r.latency is None else r.latency.q1,
             "latency_q3": None if r.latency is None else r.latency.q3}
            for r in self.rows
        ])


def _rows(frame: pd.DataFrame) -> list[EndpointRow]:
    rows = []
    for model, sub in frame.groupby("model", sort=False):
        total = len(sub)
        for endpoint, part in sorted(sub.groupby("endpoint", sort=False),
                                     key=lambda pair: (-len(pair[1]), str(pair[0]))):
            ok = part["status"] == "ok"
            retries = pd.to_numeric(part["retries"], errors="coerce").fillna(0)
            rows.append(EndpointRow(
                model=str(model), endpoint=str(endpoint), attempts=len(part),
                share=len(part) / total, ok=int(ok.sum()), errors=int((~ok).sum()),
                retried=int((retries > 0).sum()),
                latency=spread(part.loc[ok, "latency_s"].astype(float).to_numpy()),
            ))
    return rows


def build_endpoints(inputs: SectionInput) -> EndpointsSection | None:
    """Per model × endpoint counts; None unless some model was served by several URLs."""
    selected = inputs.selected
    if selected is None or inputs.counts is None:
        return None
    try:  # one cheap count first: most stores have one URL per model
        if all(n <= 1 for _, n in selected.aggregate("endpoints")):
            return None
    except LookupError:  # a named grader: no store aggregates; the frame decides
        pass
    from papertiger.store import open_store

    with open_store(selected.db, readonly=True) as store:
        frame = store.attempts_frame(selected.grader, where=selected.where, columns=_COLUMNS)
    if frame.empty:
        return None
    frame = frame.assign(endpoint=frame["endpoint"].fillna(UNKNOWN).astype(str))
    if not (frame.groupby("model")["endpoint"].nunique() > 1).any():
        return None
    notes = ["each attempt counts on the endpoint of its last try; failed tries that another "
             "endpoint made good are in the summary `papertiger run` prints"]
    if (frame["endpoint"] == UNKNOWN).any():
        notes.append(f"{UNKNOWN}: attempts stored without their endpoint (imported, or older)")
    return EndpointsSection(rows=tuple(_rows(frame)), notes=tuple(notes))


register_builder(SECTION, build_endpoints)
