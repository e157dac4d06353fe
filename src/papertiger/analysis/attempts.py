"""Choosing attempts from a store: one suite, one prompt, one condition per model.

A store may hold several suites, prompts and sampling settings. A number that pools them is
a wrong number, so `select_attempts` refuses to guess: when the choice is ambiguous it
raises `ConditionChoice`, which lists what the store holds and says which option picks one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from papertiger.analysis.counts import ItemCounts, counts_from_rows, item_counts
from papertiger.errors import ConfigError
from papertiger.published import normalise_group
from papertiger.schema import condition_id
from papertiger.store import AttemptFilter, open_store

METADATA_FIELDS = ("group", "lab", "lineage", "released", "training_cutoff", "price_in", "price_out")
ANALYSIS_COLUMNS = (
    "key", "run_id", "source", "model", "suite", "form", "form_released", "item_id", "task",
    "prompt_name", "prompt_hash", "sampling_json", "seed_base", "condition", "sample_index",
    "status", "finish_reason", "prompt_tokens", "completion_tokens", "reasoning_tokens",
    "cost_usd", "latency_s", "queue_s", "ttft_s", "output_tokens_per_s", "created_at",
)


class ConditionChoice(ConfigError):
    """The store holds more than one suite, prompt or condition: the user must choose.

    `holdings` is the store's summary (one row per suite × prompt × condition).
    """

    def __init__(self, message: str, holdings: pd.DataFrame) -> None:
        self.holdings = holdings
        super().__init__(message)


@dataclass(frozen=True)
class AttemptSource:
    """Item-level results in a store, and which of them to analyse.

    `prompt` is a prompt name or a prefix of its hash; `condition` a prefix of a
    condition id (`c:...`); `run` a run id whose suite, prompts and per-model conditions
    are taken. `grader` picks whose grades count (default: the latest grade of any).
    """

    db: Path
    suite: str | None = None
    prompt: str | None = None
    condition: str | None = None
    run: str | None = None
    grader: str | None = None


@dataclass(frozen=True)
class SelectedAttempts:
    """The attempts of one suite under one condition per model, with what they share.

    Nothing per attempt is read up front: `counts()`, `majority()` and `form_stats()` are
    SQL aggregates, and `frame` (one row per attempt, for sections that need per-attempt
    values) loads on first use. `excluded` (form, item_id) items are left out of all of
    them (`--exclude-flagged`, the "without flagged items" rows).
    """

    db: Path
    where: AttemptFilter
    models: pd.DataFrame
    suite: str
    forms: tuple[tuple[str, Any], ...]  # (name, release date or None), in release order
    holdings: pd.DataFrame
    conditions: dict[str, str] = field(default_factory=dict)  # model → condition id
    notes: tuple[str, ...] = ()
    source: str = ""
    flagged: frozenset[tuple[str, str]] = frozenset()  # (form, item_id) near-duplicates
    excluded: frozenset[tuple[str, str]] = frozenset()
    grader: str | None = None
    _cache: dict[str, Any] = field(init=False, repr=False, compare=False, default_factory=dict)

    def _store(self) -> Any:
        return _open(self.db)

    def _cached(self, name: str, load: Any) -> Any:
        if name not in self._cache:
            self._cache[name] = load()
        return self._cache[name]

    @property
    def frame(self) -> pd.DataFrame:
        """One row per attempt (analysis columns and the latest grade), loaded on first use."""
        def load() -> pd.DataFrame:
            with self._store() as store:
                frame = store.attempts_frame(self.grader, where=self.where, columns=ANALYSIS_COLUMNS)
            if self.excluded:
                keys = pd.MultiIndex.from_arrays([frame["form"].astype(str), frame["item_id"].astype(str)])
                frame = frame.loc[~keys.isin(pd.MultiIndex.from_tuples(sorted(self.excluded)))]
                frame = frame.reset_index(drop=True)
            return frame
        return self._cached("frame", load)  # type: ignore[no-any-return]

    def aggregate(self, kind: str) -> list[tuple[Any, ...]]:
        """One of the store's SQL aggregates over these attempts (see store/reads.py)."""
        def load() -> list[tuple[Any, ...]]:
            if self.grader is not None:  # a named grader: aggregate the per-attempt frame
                raise LookupError(kind)
            with self._store() as store:
                return store.aggregate(kind, self.where, self.excluded)  # type: ignore[no-any-return]
        return self._cached(f"agg:{kind}", load)  # type: ignore[no-any-return]

    def usage_frame(self) -> pd.DataFrame:
        """Per attempt, usage, timing and grade columns only (cost and speed sections), as a
        frame with USAGE_COLUMNS, built once (sections share it: read-only);
        from the per-attempt frame when a named grader is chosen."""
        def load() -> pd.DataFrame:
            if self.grader is not None:  # a named grader: the store's aggregates don't apply
                frame = self.frame
                return frame[[c for c in USAGE_COLUMNS if c in frame.columns]]
            with self._store() as store:
                return store.usage_frame(  # type: ignore[no-any-return]
                    self.where, list(USAGE_COLUMNS), self.excluded)
        return self._cached("usage_frame", load)  # type: ignore[no-any-return]

    def counts(self) -> ItemCounts:
        """Correct, trials and errors per model × item (see analysis/counts.py)."""
        def load() -> ItemCounts:
            if self.grader is not None:
                return item_counts(self.frame, self.forms)
            return counts_from_rows(self.aggregate("counts"), self.forms)
        return self._cached("counts", load)  # type: ignore[no-any-return]


def _open(db: Path) -> Any:
    """Read-only: a report never writes, and reads stores on read-only media too."""
    if str(db) == ":memory:":
        return open_store(db)
    return open_store(db, readonly=True)


def _runs_specs(runs: pd.DataFrame) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for run_id, spec_json in zip(runs["run_id"], runs["spec_json"], strict=True):
        try:
            spec = json.loads(spec_json) if isinstance(spec_json, str) else {}
        except ValueError:
            spec = {}
        out.append((str(run_id), spec if isinstance(spec, dict) else {}))
    return out


def model_metadata(runs: pd.DataFrame) -> pd.DataFrame:
    """Each model's metadata as recorded by the latest run that named it."""
    latest: dict[str, dict[str, object]] = {}
    for _, spec in _runs_specs(runs.sort_values("started_at")):
        for model in spec.get("models", []):
            if isinstance(model, dict) and "name" in model:
                latest[model["name"]] = {f: model.get(f) for f in METADATA_FIELDS}
    frame = pd.DataFrame.from_dict(latest, orient="index", columns=list(METADATA_FIELDS))
    frame = frame.rename_axis("model").reset_index()
    frame["group"] = frame["group"].map(
        lambda g: (normalise_group(str(g)) or str(g)) if isinstance(g, str) and g else None
    )
    return frame


def _run_conditions(spec: dict[str, Any]) -> list[str]:
    """Condition ids a run planned, from its stored spec."""
    prompts = [p.get("hash") for p in spec.get("prompts", []) if isinstance(p, dict)]
    if not prompts and isinstance(spec.get("prompt"), dict):  # runs written by 0.1
        prompts = [spec["prompt"].get("hash")]
    seed_base = spec.get("seed_base", 0)
    out = []
    for model in spec.get("models", []):
        sampling = model.get("sampling")
        if sampling is None:  # 0.1 wrote sampling fields flat
            sampling = {k: model.get(k) for k in ("temperature", "top_p", "max_tokens", "reasoning_effort")}
            sampling["extra"] = model.get("extra") or {}
        canonical = json.dumps(sampling, sort_keys=True, separators=(",", ":"))
        out += [condition_id("solve", str(h), canonical, seed_base) for h in prompts if h]
    return out


def _choose(values: Sequence[str], wanted: str | None, what: str, flag: str,
            holdings: pd.DataFrame) -> list[str]:
    distinct = list(dict.fromkeys(values))
    if wanted is None:
        if len(distinct) > 1:
            raise ConditionChoice(
                f"the store holds {len(distinct)} {what}s ({', '.join(distinct)}); "
                f"choose one with {flag}", holdings)
        return distinct
    picked = [v for v in distinct if v == wanted or v.startswith(wanted)]
    if not picked:
        raise ConditionChoice(f"{flag} {wanted!r}: no such {what} in the store "
                              f"({', '.join(distinct) or 'none'})", holdings)
    return picked


def _conditions_per_model(rows: list[tuple[Any, ...]], holdings: pd.DataFrame) -> dict[str, str]:
    per_model: dict[str, list[str]] = {}
    for model, condition, _ in rows:
        per_model.setdefault(str(model), []).append(str(condition))
    mixed = {m: c for m, c in per_model.items() if len(c) > 1}
    if mixed:
        model, conds = next(iter(mixed.items()))
        raise ConditionChoice(
            f"model {model!r} has attempts under {len(conds)} sampling conditions "
            f"({', '.join(conds)}); choose one with --condition or --run", holdings)
    return {m: c[0] for m, c in per_model.items()}


USAGE_COLUMNS = (
    "model", "form", "item_id", "status", "finish_reason", "prompt_tokens", "completion_tokens",
    "reasoning_tokens", "cost_usd", "latency_s", "queue_s", "ttft_s", "output_tokens_per_s",
    "correct", "flags",
)  # the order of store.reads.usage_frame


class NoSolveAttempts(ConfigError):
    """The store holds no `solve` attempts (perhaps only probe attempts)."""


def select_attempts(source: AttemptSource) -> SelectedAttempts:
    """The attempts to analyse, or `ConditionChoice` saying what the user must pick."""
    with _open(source.db) as store:
        holdings = store.holdings()
        runs = store.runs_frame()
        solve = holdings[holdings["task"] == "solve"]
        if solve.empty:
            raise NoSolveAttempts(f"{source.db}: no attempts stored yet (run `papertiger run` first)")
        conditions: list[str] | None = None
        if source.run is not None:
            specs = [(r, s) for r, s in _runs_specs(runs) if r.startswith(source.run)]
            if not specs:
                raise ConditionChoice(f"--run {source.run!r}: no such run in the store", holdings)
            run_id, spec = specs[0]
            conditions = _run_conditions(spec)
            solve = solve[solve["condition"].isin(conditions)]
            if solve.empty:
                raise ConfigError(f"run {run_id} planned no attempts this store holds")
        suite = _choose(solve["suite"].tolist(), source.suite, "suite", "--suite", holdings)[0]
        solve = solve[solve["suite"] == suite]
        labels = [f"{n} ({h[:8]})" for n, h in zip(solve["prompt_name"], solve["prompt_hash"], strict=True)]
        if source.prompt is not None:
            solve = solve[(solve["prompt_name"] == source.prompt) | solve["prompt_hash"].str.startswith(source.prompt)]
            if solve.empty:
                raise ConditionChoice(f"--prompt {source.prompt!r}: no such prompt for suite {suite!r}", holdings)
        else:
            _choose(labels, None, "prompt", "--prompt", holdings)
        if source.condition is not None:
            solve = solve[solve["condition"].str.startswith(source.condition)]
            if solve.empty:
                raise ConditionChoice(f"--condition {source.condition!r}: no such condition", holdings)
        where = AttemptFilter(suites=[suite], tasks=["solve"], conditions=list(solve["condition"]))
        flagged = store.flagged_items(suite)
        per_model = _conditions_per_model(store.aggregate("conditions", where), holdings)
        dates = dict(store.aggregate("form_dates", where))
        stats = store.aggregate("form_stats", where)
        imported = any(str(x) != "papertiger" for cell in solve["sources"].dropna()
                       for x in str(cell).split(","))
        grades = (store.attempts_frame(latest_grader=False, where=where, columns=("key",))
                  if imported else None)
    return SelectedAttempts(
        db=Path(source.db),
        where=where,
        models=model_metadata(runs),
        suite=suite,
        forms=_forms(dates, runs),
        holdings=holdings,
        conditions=per_model,
        notes=_flag_notes(stats) + (disagreement_notes(grades) if grades is not None else ()),
        source=str(source.db),
        flagged=flagged,
        grader=source.grader,
    )


def _forms(stored: dict[Any, Any], runs: pd.DataFrame) -> tuple[tuple[str, Any], ...]:
    """The forms in release order: by date when every form has one, else in the order the
    runs listed them (0.1 runs knew only old → fresh, and only the fresh date), else by name."""
    dates: dict[str, Any] = {
        str(form): released if isinstance(released, str) and released else None
        for form, released in stored.items()
    }
    hints: dict[str, int] = {}
    for _, spec in _runs_specs(runs):
        listed = [f.get("name") for f in spec.get("forms", []) if isinstance(f, dict)]
        listed = listed or [spec.get("old"), spec.get("fresh")]
        for form in spec.get("forms", []):
            name = form.get("name") if isinstance(form, dict) else None
            if isinstance(name, str) and dates.get(name, "") is None:
                dates[name] = form.get("released")
        if spec.get("fresh") in dates and dates[spec["fresh"]] is None:
            dates[spec["fresh"]] = spec.get("fresh_released")
        for index, name in enumerate(n for n in listed if isinstance(n, str)):
            hints.setdefault(name, index)
    known = all(d for d in dates.values())

    def order(item: tuple[str, Any]) -> tuple[Any, ...]:
        name, released = item
        return (released,) if known else (hints.get(name, len(hints)), name)

    return tuple(sorted(dates.items(), key=order))


def _flag_notes(stats: list[tuple[Any, ...]]) -> tuple[str, ...]:
    """Notes on grades a reader must distrust, from the per-model × form flag counts."""
    totals = dict.fromkeys(("truncated", "fallback", "grader_error", "grader_timeout"), 0)
    for row in stats:
        for name, value in zip(totals, row[4:8], strict=True):
            totals[name] += int(value or 0)
    notes = []
    for flag in ("grader_error", "grader_timeout"):
        if totals[flag]:
            notes.append(f"{totals[flag]} grades flagged {flag}: the checker failed, scored as wrong")
    if totals["fallback"]:
        notes.append(f"{totals['fallback']} grades found only a last-integer fallback answer")
    if totals["truncated"]:
        notes.append(f"{totals['truncated']} replies hit the token limit (truncated)")
    return tuple(notes)


def grade_disagreements(grades: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """Per imported tool: (attempts whose own verdict differs from papertiger's, attempts
    graded by both). `grades` has one row per (attempt, grade), newest first per attempt.
    The tool's verdict is its `source:<tool>` grade; papertiger's the newest other one."""
    graded = grades[grades["grader"].notna()]
    if graded.empty:
        return {}
    names = graded["grader"].astype(str)
    theirs = graded[names.str.fullmatch(r"source:[^:]+")].drop_duplicates("key")
    ours = graded[~names.str.startswith("source:")].drop_duplicates("key")
    both = theirs.merge(ours, on="key", suffixes=("_source", ""))
    if both.empty:
        return {}
    differ = both["correct_source"].astype(bool) != both["correct"].astype(bool)
    return {str(name).removeprefix("source:"): (int(part.sum()), len(part))
            for name, part in differ.groupby(both["grader_source"])}


def disagreement_notes(grades: pd.DataFrame) -> tuple[str, ...]:
    """One note per imported tool whose verdicts differ from papertiger's own."""
    return tuple(
        f"{n} of {total} imported attempts graded by {tool} and by papertiger disagree; "
        "papertiger's grades are used (the tool's are in the store)"
        for tool, (n, total) in sorted(grade_disagreements(grades).items()) if n)
