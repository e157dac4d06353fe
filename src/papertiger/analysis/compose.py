"""One entry point for every report: a score source or an attempt source in, a typed
`Report` out. The CLI only parses, calls `build_report` and renders."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from papertiger.analysis.attempts import (
    AttemptSource,
    NoSolveAttempts,
    SelectedAttempts,
    select_attempts,
)
from papertiger.analysis.caveats import caveats
from papertiger.analysis.counts import ItemCounts
from papertiger.analysis.freshness import as_date
from papertiger.analysis.items import form_metrics, pair_table
from papertiger.analysis.results import (
    GroupComparison,
    Report,
    ShrinkageSection,
    Skipped,
    WithoutFlagged,
)
from papertiger.analysis.sections.base import SectionInput, builders
from papertiger.analysis.sections.harnesses import table_options
from papertiger.analysis.shrinkage import ReportOptions, analyse
from papertiger.errors import PapertigerError
from papertiger.published import ScoreTable, load_scores

ScoreSource = ScoreTable | str | Path | Sequence[str | Path] | None


def build_report(
    source: ScoreSource | AttemptSource = None, options: ReportOptions | None = None
) -> Report:
    """The report for published scores (a table, CSV paths, or None for the embedded
    essay table) or for a store's attempts (`AttemptSource`)."""
    options = options or ReportOptions()
    if isinstance(source, AttemptSource):
        try:
            selected = _flag_filter(select_attempts(source), options)
        except NoSolveAttempts:
            return _without_solve(source, options)
        counts = selected.counts()
        report = _from_attempts(selected, options, counts)
        inputs = SectionInput(options, report.shrinkage, selected=selected, counts=counts,
                              source=source, holdings=selected.holdings)
        return dataclasses.replace(report, extras=_extras(inputs), caveats=caveats(inputs))
    if isinstance(source, list | tuple) and source and all(isinstance(t, ScoreTable) for t in source):
        return _from_harnesses(tuple(source), options)  # type: ignore[arg-type]
    if isinstance(source, ScoreTable):
        table = source
    else:
        paths = [source] if isinstance(source, str | Path) else list(source or [])
        table = load_scores(paths)  # type: ignore[arg-type]
    section = analyse(table, options)
    inputs = SectionInput(options, (section,), table=table, tables=(table,))
    return Report(
        title=section.title,
        source=table.source,
        group_by=options.group_by,
        metric=options.metric,
        sections=(section,),
        metrics=Skipped(
            "item-level metrics",
            "published scores are aggregates; pass@k, maj@k and per-form CIs need a store (--db)",
        ),
        extras=_extras(inputs),
        caveats=caveats(inputs),
    )


def _from_harnesses(tables: tuple[ScoreTable, ...], options: ReportOptions) -> Report:
    """Several score tables (harnesses): one shrinkage section each, side by side; the
    harness section pools their group gaps."""
    if len(tables) == 1:
        return build_report(tables[0], options)
    sections: list[ShrinkageSection | Skipped] = []
    for table in tables:
        label = table.harness or table.source
        try:
            section = analyse(table, table_options(table, options))
        except PapertigerError as exc:
            sections.append(Skipped(label, str(exc)))
            continue
        sections.append(dataclasses.replace(
            section, old_label=f"{section.old_label} ({label})",
            fresh_label=f"{section.fresh_label} ({label})"))
    shrink = tuple(s for s in sections if isinstance(s, ShrinkageSection))
    inputs = SectionInput(options, shrink, table=tables[0], tables=tables)
    names = ", ".join(t.harness or t.source for t in tables)
    return Report(
        title=f"Shrinkage across {len(tables)} harnesses ({names})",
        source="; ".join(t.source for t in tables),
        group_by=options.group_by,
        metric=options.metric,
        sections=tuple(sections),
        metrics=Skipped("item-level metrics", "published scores are aggregates"),
        extras=_extras(inputs),
        caveats=caveats(inputs),
    )


def _without_solve(source: AttemptSource, options: ReportOptions) -> Report:
    """A store with no solve attempts: only the sections that read other tasks (the
    memorisation probe); none of them applies -> the usual 'run first' error."""
    extras = _extras(SectionInput(options, (), source=source))
    if not extras:
        select_attempts(source)  # raises the error that says what to run
    reason = "the store holds no solve attempts (papertiger run); only the probe below"
    return Report(
        title=f"{source.suite or 'store'}: memorisation probe",
        source=str(source.db),
        group_by=options.group_by,
        metric=options.metric,
        sections=(Skipped("shrinkage", reason),),
        metrics=Skipped("item-level metrics", reason),
        extras=extras,
    )


def _extras(inputs: SectionInput) -> tuple[Any, ...]:
    """Every further section that applies to this source (None from a builder: it doesn't)."""
    out = []
    for name, build in builders():
        try:
            result = build(inputs)
        except ValueError as exc:  # a degenerate input: said in the report, not a crash
            result = Skipped(name, str(exc))
        if result is not None:
            out.append(result)
    return tuple(out)


def _from_attempts(
    selected: SelectedAttempts, options: ReportOptions, counts: ItemCounts | None = None
) -> Report:
    forms = selected.forms
    sections: list[ShrinkageSection | Skipped] = []
    if len(forms) < 2:
        sections.append(Skipped(
            "shrinkage", f"the store holds only one form of {selected.suite} "
            f"({forms[0][0] if forms else 'none'}); a fall needs two"))
    for (old, _), (fresh, released) in zip(forms, forms[1:], strict=False):
        table = pair_table(selected, old, fresh, seed=options.seed, counts=counts,
                           n_boot=options.n_boot)
        label = f"{old} → {fresh}"
        if table.frame.empty:
            sections.append(Skipped(label, "no model has attempts on both forms"))
            continue
        pair_options = dataclasses.replace(options, fresh_released=as_date(released))
        try:
            section = analyse(table, pair_options)
        except ValueError as exc:
            sections.append(Skipped(label, str(exc)))
            continue
        sections.append(_with_flagged(section, selected, old, fresh, pair_options))
    first = next((s for s in sections if isinstance(s, ShrinkageSection)), None)
    names = " → ".join(name for name, _ in forms)
    return Report(
        title=f"{selected.suite}: {names}" if first is None else _title(selected, forms),
        source=selected.source,
        group_by=options.group_by,
        metric=options.metric,
        sections=tuple(sections),
        metrics=form_metrics(selected, seed=options.seed, counts=counts),
        notes=selected.notes,
        condition=_condition(selected, counts or selected.counts()),
    )


def _flag_filter(selected: SelectedAttempts, options: ReportOptions) -> SelectedAttempts:
    """`--exclude-flagged`: every section without the near-duplicate items."""
    if not options.exclude_flagged:
        return selected
    if not selected.flagged:
        note = "--exclude-flagged: no item of this suite is flagged (run papertiger dedup --db first)"
        return dataclasses.replace(selected, notes=(*selected.notes, note))
    note = (f"--exclude-flagged: {len(selected.flagged)} items flagged as near-duplicates of "
            f"older problems are left out of every section")
    return dataclasses.replace(
        selected, excluded=selected.excluded | selected.flagged, flagged=frozenset(),
        notes=(*selected.notes, note),
    )


def _with_flagged(
    section: ShrinkageSection, selected: SelectedAttempts, old: str, fresh: str,
    options: ReportOptions,
) -> ShrinkageSection:
    """Add the "without flagged items" rows when some items of these forms are flagged."""
    items = tuple(sorted(i for i in selected.flagged if i[0] in (old, fresh)))
    if not items:
        return section
    kept = dataclasses.replace(selected, excluded=selected.excluded | set(items), flagged=frozenset())
    table = pair_table(kept, old, fresh, seed=options.seed, counts=kept.counts(), n_boot=200)
    if table.frame.empty:
        return section
    reduced = analyse(table, options)
    def gap(s: ShrinkageSection) -> float | None:
        return s.comparison.difference.estimate if isinstance(s.comparison, GroupComparison) else None
    extra = WithoutFlagged(items, reduced.groups, gap(reduced), gap(section), options.metric)
    return dataclasses.replace(section, without_flagged=extra)


def _title(selected: SelectedAttempts, forms: tuple[tuple[str, Any], ...]) -> str:
    return f"{selected.suite} ({' → '.join(n for n, _ in forms)}): how far do scores fall?"


def _condition(selected: SelectedAttempts, counts: ItemCounts) -> dict[str, Any]:
    """What the analysed attempts share: suite, forms, prompt, conditions per model."""
    used = set(selected.conditions.values())
    first = selected.holdings[selected.holdings["condition"].isin(used)].drop_duplicates("condition")
    sampling: dict[str, Any] = {}
    for cond, raw in zip(first["condition"], first["sampling_json"], strict=True):
        try:
            sampling[str(cond)] = json.loads(raw)
        except (TypeError, ValueError):
            sampling[str(cond)] = raw
    return {
        "suite": selected.suite,
        "forms": [{"name": n, "released": r} for n, r in selected.forms],
        "prompts": sorted({f"{n} ({h[:12]})" for n, h in zip(first["prompt_name"], first["prompt_hash"], strict=True)}),
        "conditions": dict(selected.conditions),
        "sampling": sampling,
        "seed_base": sorted({int(s) for s in first["seed_base"].dropna()}),
        "samples": int(counts.trials.max()) if counts.trials.size else 0,
        "graders": [f"{g} {v}" for g, v, _ in _graders(selected)],
    }


def _graders(selected: SelectedAttempts) -> list[tuple[Any, ...]]:
    try:
        return selected.aggregate("graders")
    except LookupError:  # a named grader: that one
        return [(selected.grader, "", 0)]


def attempts_table(
    db: str | Path,
    suite: str | None = None,
    condition: str | None = None,
    prompt: str | None = None,
    grader: str | None = None,
) -> pd.DataFrame:
    """One row per attempt with its latest grade, the item's gold answer and problem text.

    With no filter every attempt of the store is returned; `suite`, `condition` (an id
    prefix) and `prompt` (a name or hash prefix) narrow it.
    """
    from papertiger.store import AttemptFilter, open_store

    with open_store(db, readonly=str(db) != ":memory:") as store:
        frame = store.attempts_frame(
            grader, where=AttemptFilter(suites=[suite] if suite else [])
        )
    if condition:
        frame = frame[frame["condition"].astype(str).str.startswith(condition)]
    if prompt:
        frame = frame[(frame["prompt_name"] == prompt) | frame["prompt_hash"].astype(str).str.startswith(prompt)]
    return frame.reset_index(drop=True)
