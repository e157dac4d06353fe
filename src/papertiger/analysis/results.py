"""Frozen, typed result objects of every analysis; the report layer renders only these.

Each result that holds rows offers `.to_frame()` for notebooks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import pandas as pd

Metric = Literal["pct", "pp", "logit"]
Alternative = Literal["two-sided", "less", "greater"]

METRIC_LABELS: dict[str, str] = {
    "pct": "% fall",
    "pp": "pp fall",
    "logit": "logit fall",
}
METRIC_COLUMNS: dict[str, str] = {
    "pct": "pct_fall",
    "pp": "pp_fall",
    "logit": "logit_fall",
}


@dataclass(frozen=True)
class TestResult:
    """One hypothesis test, labelled with everything a reader needs to trust it.

    `alternative` is scipy's vocabulary applied to (group A − group B): 'less' means the
    one-sided hypothesis that group A's mean is lower (falls more, as falls are negative).
    """

    name: str
    metric: str
    alternative: Alternative
    statistic: float
    p_value: float
    method: str = ""
    n_a: int = 0
    n_b: int = 0


@dataclass(frozen=True)
class Interval:
    """An estimate with a confidence interval."""

    estimate: float
    low: float
    high: float
    level: float = 0.95
    method: str = ""


@dataclass(frozen=True)
class PowerResult:
    """Power of the current design and models per group needed for the target power."""

    effect_size: float
    alpha: float
    power_now: float
    n_per_group_needed: float | None
    target_power: float = 0.8
    method: str = ""


@dataclass(frozen=True)
class GroupComparison:
    """Group A vs group B on one metric: effect, intervals, tests, ANCOVA, power."""

    metric: str
    group_by: str
    group_a: str
    group_b: str
    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    difference: Interval
    bootstrap: Interval
    hedges_g: float
    tests: tuple[TestResult, ...]
    ancova: TestResult | None = None
    ancova_effect: Interval | None = None
    power: PowerResult | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Skipped:
    """A section that could not be computed, and why: every renderer prints the reason
    instead of dropping the section silently."""

    section: str
    reason: str


Freshness = Literal["fresh", "not fresh", "unknown"]


@dataclass(frozen=True)
class ModelRow:
    """One model's scores on the earlier and later form, its falls and their intervals.

    `group` is the model's value of the report's group-by column. `freshness` says whether
    the later form is new to the model; `freshness_basis` whether that rests on its stated
    training cutoff or (a weaker test) its release date. Scores are percent. From item-level
    data each fall has two intervals: `pp_ci`/`pct_ci` super-population (items resampled:
    would it hold on other items?) and `pp_ci_fixed`/`pct_ci_fixed` fixed forms (sampling
    noise only: would a re-run on these items differ?); `verdict` ('fell', 'rose', 'within
    noise') reads the fixed-forms pp interval, `verdict_super` the other.
    """

    model: str
    group: str
    old: float
    fresh: float
    pp_fall: float
    pct_fall: float
    logit_fall: float
    freshness: Freshness = "unknown"
    freshness_basis: str | None = None
    pp_ci: Interval | None = None
    pct_ci: Interval | None = None
    pp_ci_fixed: Interval | None = None
    pct_ci_fixed: Interval | None = None
    verdict: str | None = None
    verdict_super: str | None = None
    errors: int = 0
    meta: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self, group_by: str = "group") -> dict[str, Any]:
        """A flat record (intervals as `_low`/`_high` columns), for frames and JSON."""
        out: dict[str, Any] = {"model": self.model, group_by: self.group}
        out.update(old=self.old, fresh=self.fresh, pp_fall=self.pp_fall,
                   pct_fall=self.pct_fall, logit_fall=self.logit_fall)
        for name, iv in (("pp_fall", self.pp_ci), ("pct_fall", self.pct_ci),
                         ("pp_fall_fixed", self.pp_ci_fixed), ("pct_fall_fixed", self.pct_ci_fixed)):
            out[f"{name}_low"] = iv.low if iv else None
            out[f"{name}_high"] = iv.high if iv else None
        out.update(verdict=self.verdict, verdict_super=self.verdict_super,
                   freshness=self.freshness, freshness_basis=self.freshness_basis,
                   errors=self.errors)
        out.update({k: v for k, v in self.meta.items() if k not in out})
        return out


@dataclass(frozen=True)
class GroupRow:
    """Plain means over one group's models (or over all models: `overall`)."""

    group: str
    n: int
    old: float
    fresh: float
    pp_fall: float
    pct_fall: float
    logit_fall: float
    overall: bool = False


@dataclass(frozen=True)
class MultiverseRow:
    """One metric × subset: sizes, difference of means, p-values by (test, sidedness)."""

    metric: str
    subset: str
    n_a: int
    n_b: int
    difference: float
    p: Mapping[tuple[str, str], float] = field(default_factory=dict)

    @property
    def too_few(self) -> bool:
        """No test could run in this subset."""
        return not self.p


@dataclass(frozen=True)
class Multiverse:
    """Every test on every metric in every subset (tests in order of first appearance)."""

    tests: tuple[str, ...]
    rows: tuple[MultiverseRow, ...]

    def to_frame(self) -> pd.DataFrame:
        """Long form: one row per metric × subset × test × sidedness."""
        records = []
        for r in self.rows:
            base = {"metric": r.metric, "subset": r.subset, "n_a": r.n_a, "n_b": r.n_b,
                    "difference": r.difference}
            if r.too_few:
                records.append({**base, "test": None, "alternative": None, "p_value": None})
            for (test, side), p in r.p.items():
                records.append({**base, "test": test, "alternative": side, "p_value": p})
        return pd.DataFrame(records)


@dataclass(frozen=True)
class WithoutFlagged:
    """The same comparison without the items flagged as near-duplicates of older problems
    (`papertiger dedup --db`): group means and the difference, so the change is visible."""

    items: tuple[tuple[str, str], ...]
    groups: tuple[GroupRow, ...]
    difference: float | None
    difference_all: float | None
    metric: str


@dataclass(frozen=True)
class ShrinkageSection:
    """One comparison of consecutive forms: per-model falls, group means, tests, multiverse."""

    old_label: str
    fresh_label: str
    fresh_released: dt.date | None
    group_by: str
    metric: str
    models: tuple[ModelRow, ...]
    groups: tuple[GroupRow, ...]
    comparison: GroupComparison | Skipped
    multiverse: Multiverse | Skipped
    notes: tuple[str, ...] = ()
    without_flagged: WithoutFlagged | None = None

    @property
    def title(self) -> str:
        """'AIME 2024 → AIME 2025: how far do scores fall?'."""
        return f"{self.old_label} → {self.fresh_label}: how far do scores fall?"

    @property
    def group_names(self) -> tuple[str, ...]:
        """The groups in display order."""
        return tuple(g.group for g in self.groups if not g.overall)

    def to_frame(self) -> pd.DataFrame:
        """One row per model (the per-model table)."""
        return pd.DataFrame([m.as_dict(self.group_by) for m in self.models])

    def groups_frame(self) -> pd.DataFrame:
        """One row per group and the overall row."""
        return pd.DataFrame([asdict(g) for g in self.groups])


@dataclass(frozen=True)
class FormMetrics:
    """Item-level scores of one model on one form under one condition.

    `avg` is avg@k (= pass@1, percent) with a bootstrap interval over items; `pass_at`
    maps k to the unbiased pass@k; `flagged` counts grades by flag.
    """

    model: str
    form: str
    items: int
    attempts: int
    errors: int
    samples: int
    avg: Interval | None
    pass_at: Mapping[int, float]
    maj_k: int
    maj: float | None
    truncated: int
    flagged: Mapping[str, int]
    mean_completion_tokens: float | None

    def as_dict(self) -> dict[str, Any]:
        """A flat record for frames and JSON."""
        out: dict[str, Any] = {
            "model": self.model, "form": self.form, "items": self.items,
            "attempts": self.attempts, "errors": self.errors, "samples": self.samples,
            "avg_at_k": self.avg.estimate if self.avg else None,
            "avg_low": self.avg.low if self.avg else None,
            "avg_high": self.avg.high if self.avg else None,
        }
        out.update({f"pass@{k}": v for k, v in self.pass_at.items()})
        out[f"maj@{self.maj_k}"] = self.maj
        out.update(truncated=self.truncated, mean_completion_tokens=self.mean_completion_tokens)
        out.update({f"flag_{k}": v for k, v in self.flagged.items()})
        return out


@dataclass(frozen=True)
class MetricsTable:
    """Item-level metrics, one row per model × form."""

    rows: tuple[FormMetrics, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per model × form."""
        return pd.DataFrame([r.as_dict() for r in self.rows])


@dataclass(frozen=True)
class Report:
    """Everything `papertiger report` shows, typed: one shrinkage section per pair of
    consecutive forms, item-level metrics (or why there are none), and notes.

    `condition` describes what the attempts share (suite, prompt, sampling) when the
    source was a store. `extras` holds the further sections (equating, reference
    regression, harnesses, elicitation, prompts, probe, cost, speed, ...: each a typed
    result or a `Skipped`); `caveats` what a reader must see before trusting the numbers;
    `provenance` what produced the report (version, date, command, grader).
    """

    title: str
    source: str
    group_by: str
    metric: str
    sections: tuple[ShrinkageSection | Skipped, ...]
    metrics: MetricsTable | Skipped
    notes: tuple[str, ...] = ()
    condition: Mapping[str, Any] = field(default_factory=dict)
    extras: tuple[Any, ...] = ()
    caveats: tuple[str, ...] = ()
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Every section's per-model rows, with the forms they compare."""
        frames = [
            s.to_frame().assign(old_form=s.old_label, fresh_form=s.fresh_label)
            for s in self.shrinkage
        ]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    @property
    def shrinkage(self) -> tuple[ShrinkageSection, ...]:
        """The sections that could be computed."""
        return tuple(s for s in self.sections if isinstance(s, ShrinkageSection))

    @property
    def section(self) -> ShrinkageSection:
        """The first shrinkage section (the only one for a score table)."""
        if not self.shrinkage:
            raise LookupError("no shrinkage section could be computed (see report.sections)")
        return self.shrinkage[0]
