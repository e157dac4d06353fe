"""The human baseline and the topic mix: was the fresh form harder, and for whom?

With `--humans FILE` (per-form human score statistics, `analysis.humans`): each form's
human mean and median, whether the fresh form was harder for humans (Welch t on the
fraction-of-maximum scale), and each model's old and fresh score as a human percentile
(a model at the 80th percentile on both forms did not fall relative to humans, whatever
its raw fall). With `--topics FILE` (per-item topic labels): the topic mix per form and a
test that it is the same. Both check the equal-difficulty anchor of the Rasch equating.

Forms are matched by name, ignoring case and punctuation: a store's form `aime2025`, a
score table's label `AIME 2025` and the human file's `aime/aime_2025` are one form; topic
ids such as `aime2025-II-07` belong to the form named before the exam (`aime2025`). Score
tables have no item ids: their topic mix is that of every labelled item of the forms
their labels name.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import pandas as pd

from papertiger.analysis.falls import group_order
from papertiger.analysis.humans import (
    HumanComparison,
    HumanDistribution,
    HumanTable,
    TopicMix,
    TopicTable,
    compare_forms,
    form_of_id,
    read_human_scores,
    read_topics,
    topic_mix,
)
from papertiger.analysis.results import Skipped
from papertiger.analysis.sections.base import SectionInput, register_builder

if TYPE_CHECKING:
    from papertiger.analysis.shrinkage import ReportOptions

__all__ = [
    "GroupPercentiles",
    "HumanForm",
    "HumansSection",
    "ModelPercentile",
    "build_humans",
    "form_key",
]

SECTION = "human baseline and topic mix"


def form_key(name: str) -> str:
    """'AIME 2025', 'aime2025', 'aime/aime_2025' → 'aime2025' (the part after the last '/')."""
    return re.sub(r"[^0-9a-z]", "", str(name).rsplit("/", 1)[-1].lower())


@dataclass(frozen=True)
class HumanForm:
    """One form's human statistics (scores on the form's own scale)."""

    form: str
    competition: str
    kind: str
    n: int
    mean: float
    median: float
    sd: float
    max_score: float
    scores: tuple[float, ...]
    counts: tuple[float, ...]

    @property
    def mean_fraction(self) -> float:
        return self.mean / self.max_score


@dataclass(frozen=True)
class ModelPercentile:
    """A model's score on one form (percent) as a human percentile (0–100)."""

    model: str
    group: str | None
    harness: str | None
    form: str
    score: float
    percentile: float


@dataclass(frozen=True)
class GroupPercentiles:
    """A group's mean human percentile on the old and the fresh form (models on both)."""

    harness: str | None
    group: str
    n: int
    old: float
    fresh: float

    @property
    def change(self) -> float:
        return self.fresh - self.old


@dataclass(frozen=True)
class HumansSection:
    """Human statistics per form, old vs fresh for humans, model percentiles, topic mix."""

    humans_path: str | None
    topics_path: str | None
    group_by: str
    forms: tuple[HumanForm, ...]
    comparisons: tuple[HumanComparison, ...]
    percentiles: tuple[ModelPercentile, ...]
    groups: tuple[GroupPercentiles, ...]
    topics: TopicMix | Skipped | None
    anchor: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per model × form (× harness): score and human percentile."""
        return pd.DataFrame([
            {"model": p.model, self.group_by: p.group, "harness": p.harness, "form": p.form,
             "score": p.score, "human_percentile": p.percentile}
            for p in self.percentiles
        ])

    def forms_frame(self) -> pd.DataFrame:
        """One row per form: its human mean, median and SD."""
        return pd.DataFrame([
            {"form": f.form, "competition": f.competition, "kind": f.kind, "n": f.n,
             "mean": f.mean, "median": f.median, "sd": f.sd, "max_score": f.max_score,
             "mean_fraction": f.mean_fraction}
            for f in self.forms
        ])

    def topics_frame(self) -> pd.DataFrame:
        """Items per form × topic, with the share of the form."""
        if not isinstance(self.topics, TopicMix):
            return pd.DataFrame(columns=["form", "topic", "items", "share"])
        mix = self.topics
        return pd.DataFrame([
            {"form": f, "topic": t, "items": int(mix.counts[i, j]), "share": float(mix.shares[i, j])}
            for i, f in enumerate(mix.forms) for j, t in enumerate(mix.topics)
        ])


# -- which forms, which model scores -------------------------------------------------------


def _score_forms(inputs: SectionInput) -> list[str]:
    if inputs.counts is not None:
        return list(inputs.counts.forms)
    labels: dict[str, str] = {}  # one label per form: 'AIME 2024' and 'aime2024' are one
    for table in inputs.tables or ((inputs.table,) if inputs.table is not None else ()):
        for label in (table.old_label, table.fresh_label):
            labels.setdefault(form_key(label), label)
    return list(labels.values())


def _model_scores(inputs: SectionInput, options: ReportOptions, forms: list[str]
                  ) -> list[tuple[str, str | None, str | None, str, float]]:
    """(model, group, harness, form, score in percent) for every model and form."""
    named = {form_key(f): f for f in forms}
    out: list[tuple[str, str | None, str | None, str, float]] = []
    if inputs.counts is not None and inputs.selected is not None:
        meta = inputs.selected.models
        groups = {}
        if options.group_by in meta.columns:
            groups = {str(m): (None if pd.isna(g) else str(g))
                      for m, g in zip(meta["model"], meta[options.group_by], strict=True)}
        for form in inputs.counts.forms:
            for model, value in zip(inputs.counts.models, inputs.counts.scores(form), strict=True):
                if math.isfinite(float(value)):
                    out.append((model, groups.get(model), None, form, 100.0 * float(value)))
        return out
    tables = inputs.tables or ((inputs.table,) if inputs.table is not None else ())
    several = len(tables) > 1
    for table in tables:
        frame = table.frame
        for record in frame.to_dict("records"):
            raw = record.get(options.group_by)
            group = None if raw is None or (isinstance(raw, float) and math.isnan(raw)) else str(raw)
            harness = (table.harness or table.source) if several else None
            for label, column in ((table.old_label, "old"), (table.fresh_label, "fresh")):
                form = named.get(form_key(label), label)
                out.append((str(record["model"]), group, harness, form, float(record[column])))
    return out


# -- humans --------------------------------------------------------------------------------


def _human_form(form: str, dist: HumanDistribution) -> HumanForm:
    return HumanForm(form, dist.competition, dist.kind, dist.n, dist.mean, dist.median, dist.sd,
                     dist.max_score, tuple(float(s) for s in dist.scores),
                     tuple(float(c) for c in dist.counts))


def _match(forms: list[str], table: HumanTable) -> tuple[dict[str, HumanDistribution], list[str]]:
    by_key = {form_key(c): d for c, d in table.forms.items()}
    matched = {f: by_key[form_key(f)] for f in forms if form_key(f) in by_key}
    missing = [f for f in forms if f not in matched]
    return matched, missing


def _anchor(comparison: HumanComparison, options: ReportOptions, old: str, fresh: str) -> str:
    d = comparison.difference
    pts = f"{100 * d.estimate:+.1f} points of the maximum score [{100 * d.low:+.1f}, {100 * d.high:+.1f}]"
    clear = d.low > 0 or d.high < 0
    anchor = ("the Rasch equal-means anchor" if options.anchor == "equal-means"
              else "an equal-difficulty reading")
    if not clear:
        return (f"{fresh} vs {old} for humans: {pts}, no clear difference; "
                f"consistent with {anchor}")
    if d.estimate > 0:
        return (f"humans scored higher on {fresh} than on {old} ({pts}): "
                f"if anything the fresh form was easier, so a model fall is not explained by a "
                f"harder form and {anchor} understates it")
    return (f"humans scored lower on {fresh} than on {old} ({pts}): part of a "
            f"model fall may be the form itself; {anchor} overstates the fall")


def _percentiles(scores: list[tuple[str, str | None, str | None, str, float]],
                 matched: dict[str, HumanDistribution]) -> list[ModelPercentile]:
    out = []
    for model, group, harness, form, score in scores:
        dist = matched.get(form)
        if dist is None:
            continue
        fraction = min(1.0, max(0.0, score / 100.0))
        out.append(ModelPercentile(model, group, harness, form, score, dist.percentile(fraction)))
    return out


def _group_percentiles(percentiles: list[ModelPercentile], old: str, fresh: str
                       ) -> list[GroupPercentiles]:
    frame = pd.DataFrame([asdict(p) for p in percentiles])
    if frame.empty:
        return []
    frame["harness"] = frame["harness"].fillna("")
    wide = frame.pivot_table(index=["harness", "model", "group"], columns="form",
                             values="percentile", aggfunc="first").reset_index()
    if old not in wide.columns or fresh not in wide.columns:
        return []
    wide = wide.dropna(subset=[old, fresh])
    rows = []
    for harness in dict.fromkeys(wide["harness"]):
        part = wide[wide["harness"] == harness]
        for group in group_order(part, "group"):
            members = part[part["group"] == group]
            rows.append(GroupPercentiles(harness or None, group, len(members),
                                         float(members[old].mean()), float(members[fresh].mean())))
    return rows


# -- topics --------------------------------------------------------------------------------


def _topic_mix(inputs: SectionInput, table: TopicTable, forms: list[str], seed: int,
               notes: list[str]) -> TopicMix | Skipped:
    topic_of = dict(zip(table.ids, table.primary, strict=True))
    item_forms: list[str] = []
    item_topics: list[str] = []
    if inputs.counts is not None:
        unlabelled = 0
        for form, item in inputs.counts.items:
            if item in topic_of:
                item_forms.append(form)
                item_topics.append(topic_of[item])
            else:
                unlabelled += 1
        if unlabelled:
            notes.append(f"{unlabelled} items have no topic in {table.path}: left out of the mix")
    else:
        keys = {form_key(f): f for f in forms}
        for item, topic in zip(table.ids, table.primary, strict=True):
            try:
                found = keys.get(form_key(form_of_id(item)))
            except ValueError:
                found = None
            if found is not None:
                item_forms.append(found)
                item_topics.append(topic)
        if item_forms:
            notes.append("score tables have no item ids: the topic mix is that of every labelled "
                         "item of the forms the table's labels name")
    if len(set(item_forms)) < 2:
        have = sorted({form_of_id(i) for i in table.ids if re.match(r"^\D*\d{4}", i)})
        return Skipped("topic mix", f"the topic labels cover fewer than two of the report's forms "
                       f"({', '.join(forms)}); the file has {', '.join(have) or 'no dated ids'}")
    return topic_mix(item_topics, item_forms, seed=seed)


def build_humans(inputs: SectionInput) -> HumansSection | Skipped | None:
    """Human baseline (`--humans`) and topic mix (`--topics`); None when neither is given."""
    options = inputs.options
    if not options.humans and not options.topics:
        return None
    forms = _score_forms(inputs)
    notes: list[str] = []
    human_forms: list[HumanForm] = []
    comparisons: list[HumanComparison] = []
    percentiles: list[ModelPercentile] = []
    groups: list[GroupPercentiles] = []
    anchor: list[str] = []
    if options.humans:
        table = read_human_scores(options.humans)
        matched, missing = _match(forms, table)
        if missing:
            notes.append(f"no human statistics for {', '.join(missing)} in {options.humans} "
                         f"(it has {', '.join(sorted(table.forms))})")
        ordered = [f for f in forms if f in matched]
        human_forms = [_human_form(f, matched[f]) for f in ordered]
        for old, fresh in zip(ordered, ordered[1:], strict=False):
            comparison = compare_forms(matched[old], matched[fresh], alpha=options.alpha,
                                       level=1.0 - options.alpha)
            comparisons.append(comparison)
            anchor.append(_anchor(comparison, options, old, fresh))
        percentiles = _percentiles(_model_scores(inputs, options, forms), matched)
        if len(ordered) >= 2:
            groups = _group_percentiles(percentiles, ordered[-2], ordered[-1])
    topics: TopicMix | Skipped | None = None
    if options.topics:
        topics = _topic_mix(inputs, read_topics(options.topics), forms, options.seed, notes)
        if isinstance(topics, TopicMix):
            notes.extend(topics.notes)
    if options.humans and not human_forms and topics is None:
        return Skipped(SECTION, notes[0] if notes else "no form of the report has human statistics")
    return HumansSection(
        humans_path=options.humans, topics_path=options.topics, group_by=options.group_by,
        forms=tuple(human_forms), comparisons=tuple(comparisons), percentiles=tuple(percentiles),
        groups=tuple(groups), topics=topics, anchor=tuple(anchor), notes=tuple(notes))


register_builder(SECTION, build_humans)
