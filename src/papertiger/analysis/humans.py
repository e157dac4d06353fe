"""Human baselines per form and the topic mix per form: checks on the equal-difficulty anchor.

Human score tables have the columns `competition, score, max_score, count` (as in
../shared/data/human_score_distributions.csv). A competition whose scores are integers on an
integer scale above 1 (AIME: 0–15 correct answers on one exam; I + II rows are one mixture,
since each student sits one exam) is a *histogram* of students; anything else (HMMT's
normalised 0–1 points, each count 1) is a list of *points* whose n is not the cohort size.

Model scores are fractions of the form (0–1); on a histogram they are compared on the
form's own scale (a model's 60% on AIME 2025 ≈ 9 of 15). Percentiles interpolate: each
integer score k is spread evenly over [k − ½, k + ½], so a score of exactly k gets the
mid-rank P(X < k) + ½·P(X = k).

Human means compare cohorts as much as forms (AIME qualifiers are selected by AMC cutoffs
that move every year), so "harder for humans" is evidence about anchor (A), not proof.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from scipy import stats as sps

from papertiger.analysis.results import Interval, TestResult
from papertiger.errors import InputError

__all__ = [
    "HumanComparison",
    "HumanDistribution",
    "HumanTable",
    "TopicMix",
    "TopicTable",
    "compare_forms",
    "form_of_id",
    "read_human_scores",
    "read_topics",
    "topic_mix",
]

HUMAN_COLUMNS = ("competition", "score", "max_score", "count")


@dataclass(frozen=True, eq=False)
class HumanDistribution:
    """One competition's human scores (sorted) with their counts, on its own scale."""

    competition: str
    max_score: float
    scores: np.ndarray
    counts: np.ndarray
    kind: Literal["histogram", "points"]

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    @property
    def mean(self) -> float:
        return float(np.average(self.scores, weights=self.counts))

    @property
    def sd(self) -> float:
        var = np.average((self.scores - self.mean) ** 2, weights=self.counts)
        return float(math.sqrt(var * self.n / (self.n - 1))) if self.n > 1 else math.nan

    @property
    def median(self) -> float:
        """The lower median of the scores (an actual score, not an interpolation)."""
        cum = np.cumsum(self.counts)
        return float(self.scores[np.searchsorted(cum, self.n / 2.0)])

    @property
    def mean_fraction(self) -> float:
        return self.mean / self.max_score

    def percentile(self, fraction: float) -> float:
        """Human percentile (0–100) of a model scoring `fraction` (0–1) of this form."""
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"a model score is a fraction in [0, 1], got {fraction}")
        x = fraction * self.max_score
        cum = np.cumsum(self.counts) / self.n
        if self.kind == "histogram":
            full = np.zeros(int(self.max_score) + 1)
            full[self.scores.astype(int)] = self.counts
            edges = np.arange(-0.5, self.max_score + 1.0)
            return float(100.0 * np.interp(x, edges, np.concatenate([[0.0], np.cumsum(full) / self.n])))
        mid = cum - self.counts / (2.0 * self.n)
        return float(100.0 * np.interp(x, self.scores, mid, left=0.0, right=1.0))


@dataclass(frozen=True)
class HumanTable:
    """All competitions of one human-score file."""

    path: str
    forms: dict[str, HumanDistribution]

    def __getitem__(self, competition: str) -> HumanDistribution:
        if competition not in self.forms:
            raise KeyError(f"{competition!r} not in {self.path}; have {', '.join(sorted(self.forms))}")
        return self.forms[competition]


@dataclass(frozen=True)
class HumanComparison:
    """Old vs fresh form for humans, on the fraction-of-maximum scale (fresh − old)."""

    old: str
    fresh: str
    mean_old: float
    mean_fresh: float
    median_old: float
    median_fresh: float
    difference: Interval
    welch: TestResult
    cohens_d: float
    fresh_harder: bool
    notes: tuple[str, ...] = ()


def _rows(path: Path, required: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            for col in required:
                if col not in header:
                    raise InputError("missing column", path=str(path), line=1, field=col)
            return [(reader.line_num, row) for row in reader]
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise InputError("not UTF-8 text", path=str(path)) from exc


def _number(row: dict[str, str], field: str, path: Path, line: int) -> float:
    raw = (row.get(field) or "").strip()
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"not a number: {raw!r}", path=str(path), line=line, field=field) from None
    if not math.isfinite(value):
        raise InputError(f"not finite: {raw!r}", path=str(path), line=line, field=field)
    return value


def _check_row(row: dict[str, str], path: Path, line: int) -> tuple[str, float, float, int]:
    name = (row.get("competition") or "").strip()
    if not name:
        raise InputError("empty competition", path=str(path), line=line, field="competition")
    score, top = _number(row, "score", path, line), _number(row, "max_score", path, line)
    count = _number(row, "count", path, line)
    if top <= 0:
        raise InputError(f"max_score must be > 0, got {top:g}", path=str(path), line=line,
                         field="max_score")
    if not 0 <= score <= top:
        raise InputError(f"score {score:g} outside 0..{top:g}", path=str(path), line=line,
                         field="score")
    if count < 0 or count != int(count):
        raise InputError(f"count must be a whole number ≥ 0, got {count:g}", path=str(path),
                         line=line, field="count")
    return name, score, top, int(count)


def read_human_scores(path: str | Path) -> HumanTable:
    """Read and validate a human score table; errors name the file, line and column."""
    p = Path(path)
    data: dict[str, dict[float, int]] = {}
    tops: dict[str, float] = {}
    for line, row in _rows(p, HUMAN_COLUMNS):
        name, score, top, count = _check_row(row, p, line)
        if tops.setdefault(name, top) != top:
            raise InputError(f"max_score {top:g} differs from {tops[name]:g} earlier for {name}",
                             path=str(p), line=line, field="max_score")
        if score in data.setdefault(name, {}):
            raise InputError(f"score {score:g} appears twice for {name}", path=str(p), line=line,
                             field="score")
        data[name][score] = count
    if not data:
        raise InputError("no rows", path=str(p))
    forms = {}
    for name, hist in data.items():
        scores = np.array(sorted(hist))
        counts = np.array([hist[s] for s in scores], dtype=float)
        if counts.sum() <= 0:
            raise InputError(f"{name} has no students (all counts 0)", path=str(p), field="count")
        top = tops[name]
        integer = top > 1 and top == int(top) and bool(np.all(scores == np.round(scores)))
        forms[name] = HumanDistribution(name, top, scores, counts,
                                        "histogram" if integer else "points")
    return HumanTable(str(p), forms)


def compare_forms(old: HumanDistribution, fresh: HumanDistribution, alpha: float = 0.05,
                  level: float = 0.95) -> HumanComparison:
    """Was the fresh form harder for humans? Welch t on the fraction scale, one-sided 'less'."""
    mo, mf = old.mean_fraction, fresh.mean_fraction
    so, sf = old.sd / old.max_score, fresh.sd / fresh.max_score
    res = sps.ttest_ind_from_stats(mf, sf, fresh.n, mo, so, old.n, equal_var=False,
                                   alternative="less")
    se = math.sqrt(sf**2 / fresh.n + so**2 / old.n)
    df = se**4 / ((sf**2 / fresh.n) ** 2 / (fresh.n - 1) + (so**2 / old.n) ** 2 / (old.n - 1))
    half = float(sps.t.ppf(0.5 + level / 2, df)) * se
    pooled = math.sqrt(((fresh.n - 1) * sf**2 + (old.n - 1) * so**2) / (fresh.n + old.n - 2))
    notes = ["human cohorts differ between years (qualification cutoffs move): a lower mean "
             "is evidence that the form was harder, not proof"]
    if "points" in (old.kind, fresh.kind):
        notes.append("quantile points, not student counts: the test's n is not the cohort size")
    test = TestResult(name="Welch t (humans)", metric="fraction of maximum score",
                      alternative="less", statistic=float(res.statistic), p_value=float(res.pvalue),
                      method=f"fresh − old, summary statistics, df = {df:.1f}",
                      n_a=fresh.n, n_b=old.n)
    return HumanComparison(
        old=old.competition, fresh=fresh.competition, mean_old=old.mean, mean_fresh=fresh.mean,
        median_old=old.median, median_fresh=fresh.median,
        difference=Interval(mf - mo, mf - mo - half, mf - mo + half, level,
                            "Welch interval, fraction of maximum score"),
        welch=test, cohens_d=(mf - mo) / pooled if pooled > 0 else math.nan,
        fresh_harder=bool(mf < mo and res.pvalue < alpha), notes=tuple(notes))


# --- topic mix ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicTable:
    """Per-item topics (primary, and secondary or '')."""

    path: str
    ids: tuple[str, ...]
    primary: tuple[str, ...]
    secondary: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class TopicMix:
    """Counts and shares (forms × topics) with tests of an equal mix across forms."""

    forms: tuple[str, ...]
    topics: tuple[str, ...]
    counts: np.ndarray
    shares: np.ndarray
    chi2: float
    dof: int
    p_chi2: float
    p_permutation: float
    n_resamples: int
    min_expected: float
    notes: tuple[str, ...] = ()


def read_topics(path: str | Path) -> TopicTable:
    """Read a per-item topic table with columns id, primary_topic (secondary_topic optional)."""
    p = Path(path)
    ids: list[str] = []
    primary: list[str] = []
    secondary: list[str] = []
    seen: set[str] = set()
    for line, row in _rows(p, ("id", "primary_topic")):
        item = (row.get("id") or "").strip()
        topic = (row.get("primary_topic") or "").strip()
        if not item:
            raise InputError("empty id", path=str(p), line=line, field="id")
        if item in seen:
            raise InputError(f"id {item!r} appears twice", path=str(p), line=line, field="id")
        if not topic:
            raise InputError("empty topic", path=str(p), line=line, field="primary_topic")
        seen.add(item)
        ids.append(item)
        primary.append(topic)
        secondary.append((row.get("secondary_topic") or "").strip())
    if not ids:
        raise InputError("no rows", path=str(p))
    return TopicTable(str(p), tuple(ids), tuple(primary), tuple(secondary))


def form_of_id(item_id: str) -> str:
    """The form an item id belongs to: everything up to its year ('aime2025-II-07' → 'aime2025')."""
    match = re.match(r"^(\D*\d{4})", item_id)
    if match is None:
        raise ValueError(f"no year in item id {item_id!r}")
    return match.group(1)


def _chi2(counts: np.ndarray, expected: np.ndarray) -> np.ndarray:
    return np.asarray(np.sum((counts - expected) ** 2 / expected, axis=(-2, -1)))


def topic_mix(topics: Sequence[str], forms: Sequence[str], n_resamples: int = 10_000,
              seed: int = 0) -> TopicMix:
    """Topic counts per form and tests that the mix is the same: Pearson χ² and a permutation.

    The permutation test shuffles form labels among items (margins fixed) and is the one to
    read when expected counts are small (about 7 per cell with 30 items and 4 topics).
    """
    if len(topics) != len(forms) or len(topics) < 2:
        raise ValueError(f"need one form per topic and ≥ 2 items, got {len(topics)}, {len(forms)}")
    form_names = tuple(dict.fromkeys(forms))
    topic_names = tuple(sorted(set(topics)))
    if len(form_names) < 2:
        raise ValueError("need at least two forms to compare their topic mix")
    f_code = np.array([form_names.index(f) for f in forms])
    t_code = np.array([topic_names.index(t) for t in topics])
    n_f, n_t = len(form_names), len(topic_names)
    counts = np.bincount(f_code * n_t + t_code, minlength=n_f * n_t).reshape(n_f, n_t).astype(float)
    expected = counts.sum(1, keepdims=True) * counts.sum(0, keepdims=True) / counts.sum()
    chi2 = float(_chi2(counts, expected))
    dof = (n_f - 1) * (n_t - 1)
    rng = np.random.default_rng(seed)
    exceed, done, chunk = 0, 0, 2000
    while done < n_resamples:
        b = min(chunk, n_resamples - done)
        perm = rng.permuted(np.broadcast_to(f_code, (b, f_code.size)), axis=1)
        codes = (np.arange(b)[:, None] * n_f * n_t + perm * n_t + t_code).ravel()
        sim = np.bincount(codes, minlength=b * n_f * n_t).reshape(b, n_f, n_t)
        exceed += int(np.sum(_chi2(sim, expected) >= chi2 - 1e-9))
        done += b
    notes = []
    if expected.min() < 5:
        notes.append(f"smallest expected count {expected.min():.1f} < 5: read the permutation p")
    return TopicMix(forms=form_names, topics=topic_names, counts=counts,
                    shares=counts / counts.sum(1, keepdims=True), chi2=chi2, dof=dof,
                    p_chi2=float(sps.chi2.sf(chi2, dof)),
                    p_permutation=(exceed + 1) / (n_resamples + 1), n_resamples=n_resamples,
                    min_expected=float(expected.min()), notes=tuple(notes))
