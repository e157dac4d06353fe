"""What a reader must see before trusting the numbers, printed in every output.

`caveats(inputs)` returns one line per caveat that applies to this report:

- rows that are a developer's self-reported figure rather than a run of the harness
  (`source_kind` column);
- the same model listed twice in one table (matched through the alias table), naming both
  and the `--exclude NAME` that counts it once;
- how many models were released on or after the fresh form (they may have trained on it)
  and how many state no training cutoff; a published table's own caveats (e.g. a copy taken
  after the essay);
- floor effects: models whose old score is below 25, where % fall is unstable;
- per multiverse, how many p-values fall below α against how many chance alone would give,
  and the Holm-adjusted minimum;
- power for the effect the reader states (`--effect-size`), not only the observed one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from papertiger.analysis.freshness import as_date
from papertiger.analysis.multiplicity import design_power, models_needed, multiplicity_summary
from papertiger.analysis.results import (
    METRIC_COLUMNS,
    METRIC_LABELS,
    GroupComparison,
    Multiverse,
    ShrinkageSection,
)
from papertiger.analysis.sections.base import SectionInput
from papertiger.analysis.sections.harnesses import report_aliases
from papertiger.published import AliasTable, ScoreTable, is_self_report

__all__ = ["FLOOR", "caveats"]

FLOOR = 25.0  # old score (percent) below which % fall is dominated by the floor
_NAMES = 6  # names listed in one line before "and N more"


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_NAMES])
    return shown + (f" and {len(names) - _NAMES} more" if len(names) > _NAMES else "")


def _tables(inputs: SectionInput) -> tuple[ScoreTable, ...]:
    return inputs.tables or ((inputs.table,) if inputs.table is not None else ())


def _label(table: ScoreTable, several: bool) -> str:
    return f"{table.harness or table.source}: " if several else ""


def _self_reports(tables: Sequence[ScoreTable]) -> list[str]:
    out = []
    for table in tables:
        frame = table.frame
        if "source_kind" not in frame.columns:
            continue
        names = [str(m) for m, k in zip(frame["model"], frame["source_kind"], strict=True)
                 if is_self_report(k)]
        if names:
            out.append(f"{_label(table, len(tables) > 1)}{len(names)} of {len(frame)} rows are "
                       f"developers' self-reported figures, not runs of the harness "
                       f"(source_kind): {_names(names)}; leave them out with --exclude NAME")
    return out


def _duplicate_line(where: str, canonical: str, names: tuple[str, ...], kinds: dict[str, object]) -> str:
    drop = [n for n in names if is_self_report(kinds.get(n))] or list(names[1:])
    both = " and ".join(f"'{n}'" for n in names)
    flags = " ".join(f"--exclude '{n}'" for n in drop[: len(names) - 1])
    count = "twice" if len(names) == 2 else f"{len(names)} times"
    every = "both" if len(names) == 2 else "all"
    return (f"{where}one model listed {count}: {both} are {every} {canonical} (alias "
            f"table); count it once with {flags}")


def _duplicates(inputs: SectionInput, aliases: AliasTable) -> list[str]:
    out = []
    tables = _tables(inputs)
    for table in tables:
        frame = table.frame
        kinds = (dict(zip(frame["model"].astype(str), frame["source_kind"], strict=True))
                 if "source_kind" in frame.columns else {})
        for canonical, names in aliases.duplicates(frame["model"].astype(str)):
            out.append(_duplicate_line(_label(table, len(tables) > 1), canonical, names, kinds))
    if inputs.selected is not None:
        for canonical, names in aliases.duplicates(inputs.selected.models["model"].astype(str)):
            out.append(_duplicate_line("", canonical, names, {}))
    return out


def _freshness(section: ShrinkageSection) -> str | None:
    form, date = section.fresh_label, section.fresh_released
    n = len(section.models)
    if date is None:
        return f"{form}: no release date, so no model's freshness can be judged"
    released = [as_date(m.meta.get("released")) for m in section.models]
    after = sum(1 for d in released if d is not None and d >= date)
    unknown = sum(1 for d in released if d is None)
    cutoffs = sum(1 for m in section.models if as_date(m.meta.get("training_cutoff")) is None)
    line = (f"{form}, released {date.isoformat()}: {after} of {n} models were released on or "
            f"after it and may have trained on it; {cutoffs} state no training cutoff")
    if unknown:
        line += f"; {unknown} have no release date"
    not_fresh = sum(1 for m in section.models if m.freshness == "not fresh")
    if not (after or cutoffs or unknown or not_fresh):
        return None  # every model dated before the form and fresh to it: nothing to warn of
    return line + f" ({not_fresh} judged not fresh)"


def _floor(section: ShrinkageSection) -> str | None:
    low = [m for m in section.models if math.isfinite(m.old) and m.old < FLOOR]
    if not low:
        return None
    worst = min(low, key=lambda m: m.pct_fall if math.isfinite(m.pct_fall) else math.inf)
    fall = f"{worst.pct_fall:+.0f}".replace("-", "\u2212")
    example = (f" (e.g. {worst.model}: {worst.old:g} → {worst.fresh:g} is {fall} %)"
               if math.isfinite(worst.pct_fall) else "")
    return (f"{section.old_label}: {len(low)} models score below {FLOOR:g}, where % fall is "
            f"dominated by the floor{example}: {_names([m.model for m in low])}; compare "
            "--metric pp or logit, or --min-old 25")


def _multiplicity(section: ShrinkageSection, alpha: float) -> str | None:
    verse = section.multiverse
    if not isinstance(verse, Multiverse):
        return None
    labels, p = [], []
    for row in verse.rows:
        for (test, side), value in row.p.items():
            if math.isfinite(value):
                labels.append(f"{row.metric} / {row.subset} / {test} / {side}")
                p.append(value)
    if not p:
        return None
    s = multiplicity_summary(p, alpha=alpha, labels=labels)
    if s.n_below == 0:
        return None  # nothing looks significant, so nothing can be a false positive
    best = int(np.argmin(s.holm))
    return (f"multiverse {section.old_label} → {section.fresh_label}: {s.n_below} of "
            f"{s.n_tests} p-values are below {alpha:g}, where chance alone would give "
            f"{s.expected_by_chance:.1f}; smallest Holm-adjusted p = {s.holm[best]:.3f} "
            f"({s.n_holm} survive Holm, {s.n_bh} Benjamini–Hochberg); the tests share data, "
            "so read the count as a yardstick")


def _values(section: ShrinkageSection, group: str) -> np.ndarray:
    column = METRIC_COLUMNS.get(section.metric, "pct_fall")
    values = np.array([getattr(m, column) for m in section.models if m.group == group], dtype=float)
    return values[np.isfinite(values)]


def _power(section: ShrinkageSection, effect: float | None, alpha: float) -> str | None:
    comparison = section.comparison
    if not isinstance(comparison, GroupComparison):
        return None
    label = f"{section.old_label} → {section.fresh_label}"
    if effect is None:
        return (f"{label}: any power shown is for the observed gap; state the gap that would "
                "matter with --effect-size X to see the power for it")
    a, b = _values(section, comparison.group_a), _values(section, comparison.group_b)
    if a.size < 2 or b.size < 2 or a.std(ddof=1) == 0 or b.std(ddof=1) == 0:
        return f"{label}: no power for --effect-size {effect:g}: each group needs 2 varying models"
    sd_a, sd_b = float(a.std(ddof=1)), float(b.std(ddof=1))
    power = design_power(effect, sd_a, sd_b, a.size, b.size, alpha=alpha)
    needed = models_needed(effect, sd_a, sd_b, alpha=alpha, ratio=b.size / a.size)
    metric = METRIC_LABELS.get(section.metric, section.metric)
    more = (f"80 % power needs about {math.ceil(needed)} {comparison.group_a} and "
            f"{math.ceil(needed * b.size / a.size)} {comparison.group_b} models"
            if needed is not None else "no number of models reaches 80 %")
    return (f"{label}: power to detect a gap of {effect:g} ({metric}, {comparison.group_a} − "
            f"{comparison.group_b}) with {a.size} and {b.size} models is {100 * power.power:.0f} % "
            f"(Welch, two-sided, α = {alpha:g}); {more}")


def _unique(lines: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(line for line in lines if line))


def caveats(inputs: SectionInput) -> tuple[str, ...]:
    """Every caveat that applies to this report's sources and sections, one line each."""
    options = inputs.options
    aliases = report_aliases(options)
    tables = _tables(inputs)
    lines: list[str | None] = []
    lines += _self_reports(tables)
    lines += _duplicates(inputs, aliases)
    for table in tables:
        lines += list(table.caveats)
    for section in inputs.shrinkage:
        lines.append(_freshness(section))
        lines.append(_floor(section))
    for section in inputs.shrinkage:
        lines.append(_multiplicity(section, options.alpha))
        lines.append(_power(section, options.effect_size, options.alpha))
    return _unique(lines)
