"""Plain-text renderings of a ShrinkageReport: Markdown, CSV and JSON (schema in README)."""

from __future__ import annotations

import io
import json
import math
from dataclasses import asdict
from typing import Any

import pandas as pd

from papertiger.analysis.results import METRIC_LABELS, ShrinkageReport, TestResult
from papertiger.report.grid import SIDES, multiverse_grid

MODEL_COLUMNS = ["model", "old", "fresh", "pp_fall", "pct_fall", "logit_fall"]
CI_COLUMNS = ["pp_fall_low", "pp_fall_high", "pct_fall_low", "pct_fall_high"]
META_COLUMNS = ["lab", "lineage", "released", "training_cutoff"]
JSON_SCHEMA_VERSION = 1


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        return _clean(value.item())
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if value is not None and not isinstance(value, str | int | float | bool):
        return str(value)
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [_clean(r) for r in frame.astype(object).where(frame.notna(), None).to_dict("records")]


def _test_dict(test: TestResult) -> dict[str, Any]:
    return _clean(asdict(test))


def to_json(report: ShrinkageReport) -> str:
    """JSON with models, groups, comparison, tests (name, metric, alternative, statistic,
    p_value, ...), multiverse and notes."""
    comp = report.comparison
    payload: dict[str, Any] = {
        "schema_version": JSON_SCHEMA_VERSION,
        "title": report.title,
        "source": report.source,
        "old_label": report.old_label,
        "fresh_label": report.fresh_label,
        "metric": report.metric,
        "group_by": report.group_by,
        "models": _records(report.models),
        "groups": _records(report.groups),
        "comparison": None,
        "tests": [],
        "multiverse": _records(report.multiverse),
        "metrics": _records(report.metrics) if report.metrics is not None else [],
        "notes": list(report.notes),
    }
    if comp is not None:
        body = _clean(asdict(comp))
        body.pop("tests")
        payload["comparison"] = body
        tests = list(comp.tests) + ([comp.ancova] if comp.ancova else [])
        payload["tests"] = [_test_dict(t) for t in tests]
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def table_frame(report: ShrinkageReport) -> pd.DataFrame:
    """The main table: each model, then each group's mean row, then the overall row."""
    group_col = report.group_by
    cols = ["model", group_col] + MODEL_COLUMNS[1:]
    cols += [c for c in CI_COLUMNS + META_COLUMNS if c in report.models.columns]
    models = report.models.reindex(columns=cols).assign(row="model")
    groups = report.groups.rename(columns={"group": group_col}).assign(row="group mean")
    groups.loc[groups[group_col] == "Overall", "row"] = "overall"
    groups["model"] = groups[group_col].where(groups["row"] != "group mean", groups[group_col])
    return pd.concat([models, groups.reindex(columns=cols + ["row", "n"])], ignore_index=True)


def to_csv(report: ShrinkageReport) -> str:
    """The main table as CSV (models, group means, overall; `row` says which)."""
    buffer = io.StringIO()
    table_frame(report).to_csv(buffer, index=False, float_format="%.4g")
    return buffer.getvalue()


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def to_markdown(report: ShrinkageReport) -> str:
    """A Markdown report: per-model table, group comparison, tests, multiverse, notes."""
    parts = [f"# {report.title}", "", f"Source: {_md_escape(report.source)}", ""]
    header = ["model", report.group_by, report.old_label, report.fresh_label, "pp fall", "% fall", "logit fall"]
    rows = []
    for _, r in table_frame(report).iterrows():
        name = r["model"] if r["row"] == "model" else f"**{r['model']} mean**"
        rows.append([str(name), str(r[report.group_by])] + [_fmt(r[c]) for c in MODEL_COLUMNS[1:5]] + [_fmt(r["logit_fall"], 2)])
    parts += [_md_table(header, rows), ""]
    if report.metrics is not None and not report.metrics.empty:
        metrics = report.metrics
        mrows = [[_fmt(v) for v in r] for r in metrics.itertuples(index=False)]
        parts += ["## Scores from stored attempts (percent)", "", _md_table(list(map(str, metrics.columns)), mrows), ""]
    parts += _md_comparison(report)
    if not report.multiverse.empty:
        parts += ["## Multiverse (p-values)", "", _md_multiverse(report.multiverse), ""]
    if report.notes:
        parts += ["## Notes", ""] + [f"- {_md_escape(n)}" for n in report.notes] + [""]
    return "\n".join(parts)


def _md_comparison(report: ShrinkageReport) -> list[str]:
    comp = report.comparison
    if comp is None:
        return ["No group comparison (see notes).", ""]
    label = METRIC_LABELS[comp.metric]
    d, bs = comp.difference, comp.bootstrap
    lines = [
        f"## {comp.group_a} vs {comp.group_b} on {label}",
        "",
        f"- mean {label}: {comp.group_a} {comp.mean_a:.1f} (n = {comp.n_a}), "
        f"{comp.group_b} {comp.mean_b:.1f} (n = {comp.n_b})",
        f"- difference ({comp.group_a} − {comp.group_b}): {d.estimate:.1f}, "
        f"{d.level:.0%} Welch CI [{d.low:.1f}, {d.high:.1f}]; bootstrap CI [{bs.low:.1f}, {bs.high:.1f}] ({bs.method})",
        f"- Hedges' g: {comp.hedges_g:.2f}",
    ]
    if comp.power is not None:
        need = comp.power.n_per_group_needed
        lines.append(
            f"- power now: {comp.power.power_now:.2f}; models per group for 80 % power: "
            + (f"{math.ceil(need)}" if need else "n/a")
        )
    lines.append("")
    rows = [[t.name, t.metric, t.alternative, f"{t.statistic:.3g}", f"{t.p_value:.3g}", t.method] for t in comp.tests]
    if comp.ancova is not None:
        a = comp.ancova
        rows.append([a.name, a.metric, a.alternative, f"{a.statistic:.3g}", f"{a.p_value:.3g}", a.method])
    lines += [_md_table(["test", "metric", "alternative", "statistic", "p", "method"], rows), ""]
    lines.append(f"'less' = one-sided: {comp.group_a} falls more than {comp.group_b}.")
    return lines + [""]


def _md_multiverse(verse: pd.DataFrame) -> str:
    grid = multiverse_grid(verse)
    header = ["metric", "subset", "n_a", "n_b", "difference"]
    header += [f"{t} ({'2' if side == 'two-sided' else '1'}-sided)" for t in grid.tests for side in SIDES]
    rows = []
    for r in grid.rows:
        cells = [r.metric, r.subset, str(r.n_a), str(r.n_b), _fmt(r.difference)]
        cells += [_fmt(r.p.get((t, side)), 3) for t in grid.tests for side in SIDES]
        rows.append(cells + ["too few models" if r.too_few else ""])
    return _md_table(header + ["note"], rows)
