"""The prompt-variant experiment: the same items under several prompts, items paired.

`papertiger run --prompt basic --prompt boxed` stores each prompt as its own condition.
The other sections read the prompt chosen with `--prompt`; this one reads every prompt of
the chosen suite and gives each model's accuracy under each, the paired difference
(another prompt − the chosen one: per-item share correct, items paired, bootstrap over
items stratified by form) with a CI, and the group comparison of that difference: the
essay's "under-elicitation gap" (how much the prompt matters, per group).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from papertiger.analysis.attempts import ConditionChoice, select_attempts
from papertiger.analysis.counts import ItemCounts
from papertiger.analysis.results import Interval, Skipped
from papertiger.analysis.sections.base import SectionInput, register_builder
from papertiger.analysis.sections.elicitation import (
    Contrast,
    contrast,
    draw_sums,
    model_groups,
    model_order,
    ordered_groups,
    percentile_interval,
)
from papertiger.errors import ConfigError

if TYPE_CHECKING:
    from papertiger.analysis.attempts import AttemptSource, SelectedAttempts
    from papertiger.analysis.shrinkage import ReportOptions

__all__ = ["ALL_FORMS", "PairedDifference", "PromptAccuracy", "PromptSection", "build_prompts"]

SECTION = "prompt variants"
ALL_FORMS = "all forms"


@dataclass(frozen=True)
class PromptAccuracy:
    """A model's score (percent, mean over items of the share correct) under one prompt
    on one form (or `ALL_FORMS`)."""

    model: str
    group: str | None
    prompt: str
    form: str
    accuracy: float
    items: int
    attempts: int


@dataclass(frozen=True)
class PairedDifference:
    """`prompt` − `baseline` for one model on one form (points), items paired."""

    model: str
    group: str | None
    prompt: str
    baseline: str
    form: str
    items: int
    difference: Interval


@dataclass(frozen=True)
class PromptSection:
    """Accuracy per model × prompt × form, paired differences, and group comparisons.

    `baseline` is the prompt the rest of the report reads (`--prompt`); every other
    prompt's difference is taken against it."""

    baseline: str
    prompts: tuple[str, ...]
    forms: tuple[str, ...]
    accuracies: tuple[PromptAccuracy, ...]
    differences: tuple[PairedDifference, ...]
    contrasts: tuple[Contrast, ...]
    group_by: str
    groups: tuple[str, ...]
    level: float
    n_boot: int
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per model × form × prompt: accuracy, and the paired difference."""
        diffs = {(d.model, d.form, d.prompt): d for d in self.differences}
        rows = []
        for a in self.accuracies:
            d = diffs.get((a.model, a.form, a.prompt))
            rows.append({
                "model": a.model, self.group_by: a.group, "form": a.form, "prompt": a.prompt,
                "accuracy": a.accuracy, "items": a.items, "attempts": a.attempts,
                "baseline": self.baseline,
                "difference": d.difference.estimate if d else None,
                "difference_low": d.difference.low if d else None,
                "difference_high": d.difference.high if d else None,
                "paired_items": d.items if d else None,
            })
        return pd.DataFrame(rows)


def _label(name: str, digest: str, names: list[str]) -> str:
    """The prompt's name, with its hash when two prompts share a name."""
    return name if names.count(name) == 1 else f"{name} ({digest[:8]})"


def _chosen(holdings: pd.DataFrame, selected: SelectedAttempts) -> pd.DataFrame:
    """The holdings rows of the conditions the report reads (no attempt is loaded)."""
    conditions = set(selected.where.conditions) or set(selected.conditions.values())
    return holdings[holdings["condition"].astype(str).isin(conditions)
                    & (holdings["suite"] == selected.suite)]


def _other_source(
    source: AttemptSource, digest: str, holdings: pd.DataFrame, selected: SelectedAttempts
) -> AttemptSource:
    """The source for another prompt under the chosen sampling: when `--condition` chose
    the sampling, the other prompt's condition with the same sampling and seed base."""
    condition = None
    if source.condition is not None:
        rows = _chosen(holdings, selected)
        chosen = set(zip(rows["sampling_json"].astype(str), rows["seed_base"].astype(str),
                         strict=True))
        rows = holdings[holdings["prompt_hash"] == digest]
        same = [str(c) for c, s, b in zip(rows["condition"], rows["sampling_json"].astype(str),
                                           rows["seed_base"].astype(str), strict=True)
                if (s, b) in chosen]
        condition = same[0] if len(same) == 1 else None
    return dataclasses.replace(source, prompt=digest, condition=condition)


def _item_means(counts: ItemCounts, model: str) -> dict[tuple[str, str], float]:
    """(form, item) → share correct, over the items this model has successful samples on."""
    m = counts.model_index(model)
    use = counts.trials[m] > 0
    share = counts.correct[m, use] / counts.trials[m, use]
    items = [it for it, u in zip(counts.items, use, strict=True) if u]
    return dict(zip(items, share.tolist(), strict=True))


def _accuracies(
    model: str, group: str | None, prompt: str, means: Mapping[tuple[str, str], float],
    counts: ItemCounts, forms: tuple[str, ...],
) -> list[PromptAccuracy]:
    m = counts.model_index(model)
    out = []
    for form in (*forms, ALL_FORMS):
        values = [v for (f, _), v in means.items() if form in (f, ALL_FORMS)]
        if not values:
            continue
        idx = (np.arange(len(counts.items)) if form == ALL_FORMS
               else counts.form_items(form) if form in counts.forms else np.array([], int))
        attempts = int(counts.trials[m, idx].sum()) if idx.size else 0
        out.append(PromptAccuracy(model, group, prompt, form, 100.0 * float(np.mean(values)),
                                  len(values), attempts))
    return out


def _paired(
    other: Mapping[tuple[str, str], float], base: Mapping[tuple[str, str], float], form: str,
    options: ReportOptions, seed: tuple[int, ...],
) -> tuple[int, Interval] | None:
    """Mean over shared items of other − base (points), bootstrap stratified by form."""
    shared = sorted(k for k in other.keys() & base.keys() if form in (k[0], ALL_FORMS))
    if not shared:
        return None
    diff = 100.0 * np.asarray([other[k] - base[k] for k in shared])
    forms = np.asarray([f for f, _ in shared])
    strata = [np.flatnonzero(forms == f) for f in dict.fromkeys(forms.tolist())]
    draws = draw_sums([diff], strata, options.n_boot, seed)[0] / diff.size
    how = (f"percentile bootstrap over {diff.size} paired items"
           f"{' (within each form)' if len(strata) > 1 else ''}, {options.n_boot} resamples")
    return diff.size, percentile_interval(float(diff.mean()), draws, 1.0 - options.alpha, how)


def _others(inputs: SectionInput, selected: SelectedAttempts) -> list[tuple[str, str]]:
    """(name, hash) of the suite's solve prompts other than the chosen one(s)."""
    holdings = inputs.holdings if inputs.holdings is not None else selected.holdings
    rows = holdings[(holdings["suite"] == selected.suite) & (holdings["task"] == "solve")]
    chosen = set(_chosen(holdings, selected)["prompt_hash"].astype(str))
    pairs = dict(zip(rows["prompt_hash"].astype(str), rows["prompt_name"].astype(str),
                     strict=True))
    return [(name, digest) for digest, name in pairs.items() if digest not in chosen]


def _read_other(
    inputs: SectionInput, selected: SelectedAttempts, digest: str, label: str,
    notes: list[str],
) -> ItemCounts | None:
    assert inputs.source is not None
    holdings = inputs.holdings if inputs.holdings is not None else selected.holdings
    source = _other_source(inputs.source, digest, holdings, selected)
    try:
        other = select_attempts(source)
    except ConditionChoice as exc:
        notes.append(f"prompt {label} left out: {exc}")
        return None
    except ConfigError as exc:
        notes.append(f"prompt {label} left out: {exc}")
        return None
    excluded = selected.excluded | (other.flagged if inputs.options.exclude_flagged else frozenset())
    other = dataclasses.replace(other, forms=selected.forms, excluded=excluded,
                                grader=selected.grader)
    return other.counts()


@dataclass
class _Found:
    """What the prompts add up to while the section is built."""

    accuracies: list[PromptAccuracy]
    differences: list[PairedDifference]
    contrasts: list[Contrast]
    notes: list[str]


def _against_baseline(
    p: int, label: str, baseline: str, other: ItemCounts, base: Mapping[str, Mapping[tuple[str, str], float]],
    forms: tuple[str, ...], groups: Mapping[str, str | None], options: ReportOptions, found: _Found,
) -> None:
    """Accuracies under one other prompt, its paired differences, their group contrasts."""
    per_form: dict[str, dict[str, float]] = {}
    for model in model_order(other.models, groups):
        m = other.model_index(model)
        means = _item_means(other, model)
        found.accuracies += _accuracies(model, groups.get(model), label, means, other, forms)
        if model not in base:
            found.notes.append(f"{model} has attempts under {label} only: not paired")
            continue
        for f, form in enumerate((*forms, ALL_FORMS)):
            paired = _paired(means, base[model], form, options, (options.seed, p, m, f))
            if paired is not None:
                found.differences.append(PairedDifference(model, groups.get(model), label,
                                                          baseline, form, *paired))
                per_form.setdefault(form, {})[model] = paired[1].estimate
    for form in (ALL_FORMS, *reversed(forms)):
        if len(per_form.get(form, {})) >= 2:
            found.contrasts.append(contrast(per_form[form], groups, options,
                                            f"{label} − {baseline} on {form}",
                                            f"{label} − {baseline} (pp)"))


def build_prompts(inputs: SectionInput) -> PromptSection | Skipped | None:
    """Every prompt of the chosen suite against the chosen one; None with one prompt."""
    selected, counts, options = inputs.selected, inputs.counts, inputs.options
    if selected is None or counts is None or inputs.source is None:
        return None
    others = _others(inputs, selected)
    if not others:
        return None
    holdings = inputs.holdings if inputs.holdings is not None else selected.holdings
    base_rows = _chosen(holdings, selected).drop_duplicates("prompt_hash")
    all_names = [str(n) for n in base_rows["prompt_name"]] + [n for n, _ in others]
    baseline = ", ".join(_label(str(n), str(h), all_names) for n, h in
                         zip(base_rows["prompt_name"], base_rows["prompt_hash"], strict=True))
    groups = model_groups(selected, options.group_by)
    found = _Found([], [], [], [])
    base = {m: _item_means(counts, m) for m in counts.models}
    for model in model_order(counts.models, groups):
        found.accuracies += _accuracies(model, groups.get(model), baseline, base[model],
                                        counts, counts.forms)
    labels = [baseline]
    for p, (name, digest) in enumerate(others):
        label = _label(name, digest, all_names)
        other = _read_other(inputs, selected, digest, label, found.notes)
        if other is not None:
            labels.append(label)
            _against_baseline(p, label, baseline, other, base, counts.forms, groups, options, found)
    if len(labels) < 2:
        return Skipped(SECTION, "no other prompt could be read: " + "; ".join(found.notes))
    present = {a.group for a in found.accuracies if a.group is not None}
    return PromptSection(
        baseline=baseline, prompts=tuple(labels), forms=counts.forms,
        accuracies=tuple(found.accuracies), differences=tuple(found.differences),
        contrasts=tuple(found.contrasts), group_by=options.group_by,
        groups=tuple(g for g in ordered_groups(groups) if g in present),
        level=1.0 - options.alpha, n_boot=options.n_boot, notes=tuple(found.notes),
    )


register_builder(SECTION, build_prompts)
