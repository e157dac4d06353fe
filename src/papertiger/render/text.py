"""Plain-text renderings of a Report: Markdown, CSV and JSON (schema in README)."""

from __future__ import annotations

import io
import json
import math
from dataclasses import asdict
from typing import Any

import pandas as pd

from papertiger.analysis.results import (
    METRIC_LABELS,
    GroupComparison,
    MetricsTable,
    Multiverse,
    Report,
    ShrinkageSection,
    Skipped,
    TestResult,
)

MODEL_COLUMNS = ["model", "old", "fresh", "pp_fall", "pct_fall", "logit_fall"]
CI_COLUMNS = ["pp_fall_low", "pp_fall_high", "pct_fall_low", "pct_fall_high"]
META_COLUMNS = ["freshness", "freshness_basis", "lab", "lineage", "released", "training_cutoff"]
JSON_SCHEMA_VERSION = 2
SIDES = ("two-sided", "less")


def renderer_for(result: Any) -> Any:
    from papertiger.render.sections import renderer_for as find

    return find(result)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        return _clean(value.item())
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if value is not None and not isinstance(value, str | int | float | bool):
        return str(value)
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [_clean(r) for r in frame.astype(object).where(frame.notna(), None).to_dict("records")]


def _skipped(item: Skipped) -> dict[str, Any]:
    return {"skipped": True, "section": item.section, "reason": item.reason}


def _multiverse_json(verse: Multiverse | Skipped) -> Any:
    if isinstance(verse, Skipped):
        return _skipped(verse)
    return {"tests": list(verse.tests), "rows": _records(verse.to_frame())}


def _comparison_json(comp: GroupComparison | Skipped) -> tuple[Any, list[Any]]:
    if isinstance(comp, Skipped):
        return _skipped(comp), []
    body = _clean(asdict(comp))
    body.pop("tests")
    tests = list(comp.tests) + ([comp.ancova] if comp.ancova else [])
    return body, [_test_dict(t) for t in tests]


def _section_json(section: ShrinkageSection | Skipped) -> dict[str, Any]:
    if isinstance(section, Skipped):
        return _skipped(section)
    comparison, tests = _comparison_json(section.comparison)
    return {
        "title": section.title,
        "old_label": section.old_label,
        "fresh_label": section.fresh_label,
        "fresh_released": section.fresh_released.isoformat() if section.fresh_released else None,
        "group_by": section.group_by,
        "metric": section.metric,
        "models": _records(section.to_frame()),
        "groups": _records(section.groups_frame()),
        "comparison": comparison,
        "tests": tests,
        "multiverse": _multiverse_json(section.multiverse),
        "without_flagged": _clean(asdict(section.without_flagged)) if section.without_flagged else None,
        "notes": list(section.notes),
    }


def _test_dict(test: TestResult) -> dict[str, Any]:
    return _clean(asdict(test))


def to_json(report: Report) -> str:
    """JSON: the report's title, source and condition, then one entry per pair of forms
    (models, groups, comparison, tests, multiverse, notes), the item-level metrics, notes."""
    metrics = report.metrics
    payload: dict[str, Any] = {
        "schema_version": JSON_SCHEMA_VERSION,
        "title": report.title,
        "source": report.source,
        "group_by": report.group_by,
        "metric": report.metric,
        "condition": _clean(dict(report.condition)),
        "caveats": list(report.caveats),
        "sections": [_section_json(s) for s in report.sections],
        "metrics": _skipped(metrics) if isinstance(metrics, Skipped) else _records(metrics.to_frame()),
        "extras": [
            {"section": renderer_for(x).title(x), **_clean(renderer_for(x).json(x))}
            for x in report.extras
        ],
        "notes": list(report.notes),
        "provenance": _clean(dict(report.provenance)),
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def table_frame(section: ShrinkageSection) -> pd.DataFrame:
    """The main table of one section: each model, each group's mean row, the overall row."""
    group_col = section.group_by
    models = section.to_frame()
    cols = ["model", group_col] + MODEL_COLUMNS[1:]
    cols += [c for c in CI_COLUMNS + META_COLUMNS if c in models.columns and c not in cols]
    models = models.reindex(columns=cols).assign(row="model")
    groups = section.groups_frame().rename(columns={"group": group_col})
    groups["row"] = ["overall" if o else "group mean" for o in groups["overall"]]
    groups["model"] = groups[group_col]
    return pd.concat([models, groups.reindex(columns=cols + ["row", "n"])], ignore_index=True)


def to_csv(report: Report) -> str:
    """The main tables as CSV (models, group means, overall; `row` says which; `old_form`
    and `fresh_form` say which pair of forms)."""
    frames = [
        table_frame(s).assign(old_form=s.old_label, fresh_form=s.fresh_label)
        for s in report.shrinkage
    ]
    buffer = io.StringIO()
    if frames:
        pd.concat(frames, ignore_index=True).to_csv(buffer, index=False, float_format="%.4g")
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
    lines = ["| " + " | ".join(_md_escape(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _md_section(section: ShrinkageSection | Skipped) -> list[str]:
    if isinstance(section, Skipped):
        return [f"## {_md_escape(section.section)}", "", f"Not computed: {_md_escape(section.reason)}", ""]
    parts = [f"## {_md_escape(section.title)}", ""]
    header = ["model", section.group_by, section.old_label, section.fresh_label,
              "pp fall", "% fall", "logit fall", f"{section.fresh_label} fresh?"]
    rows = []
    for _, r in table_frame(section).iterrows():
        name = r["model"] if r["row"] == "model" else f"**{r['model']} mean**"
        fresh = str(r.get("freshness") or "") if r["row"] == "model" else ""
        rows.append([str(name), str(r[section.group_by])] + [_fmt(r[c]) for c in MODEL_COLUMNS[1:5]]
                    + [_fmt(r["logit_fall"], 2), fresh])
    parts += [_md_table(header, rows), ""]
    if section.without_flagged is not None:
        wf = section.without_flagged
        column = {"pct": "pct_fall", "pp": "pp_fall", "logit": "logit_fall"}[wf.metric]
        means = ", ".join(f"{g.group} {_fmt(getattr(g, column))}" for g in wf.groups if not g.overall)
        parts += [f"Without {len(wf.items)} flagged near-duplicate items "
                  f"({_md_escape(', '.join(i for _, i in wf.items))}): mean {METRIC_LABELS[wf.metric]} "
                  f"{_md_escape(means)}; gap {_fmt(wf.difference)} (all items: {_fmt(wf.difference_all)})", ""]
    parts += _md_comparison(section.comparison)
    if isinstance(section.multiverse, Multiverse):
        parts += ["### Multiverse (p-values)", "", _md_multiverse(section.multiverse), ""]
    else:
        parts += [f"No multiverse: {_md_escape(section.multiverse.reason)}.", ""]
    if section.notes:
        parts += ["Notes:", ""] + [f"- {_md_escape(n)}" for n in section.notes] + [""]
    return parts


def to_markdown(report: Report) -> str:
    """A Markdown report: condition, metrics, then per pair of forms the per-model table,
    the group comparison, tests, multiverse and notes."""
    parts = [f"# {_md_escape(report.title)}", "", f"Source: {_md_escape(report.source)}", ""]
    parts += _md_provenance(report)
    if isinstance(report.metrics, MetricsTable) and report.metrics.rows:
        metrics = report.metrics.to_frame()
        mrows = [[_fmt(v) for v in r] for r in metrics.itertuples(index=False)]
        parts += ["## Scores from stored attempts (percent)", "",
                  _md_table(list(map(str, metrics.columns)), mrows), ""]
    if report.caveats:
        parts += ["## Caveats", ""] + [f"- {_md_escape(c)}" for c in report.caveats] + [""]
    for section in report.sections:
        parts += _md_section(section)
    for extra in report.extras:
        parts += [renderer_for(extra).markdown(extra), ""]
    if report.notes:
        parts += ["## Notes", ""] + [f"- {_md_escape(n)}" for n in report.notes] + [""]
    return "\n".join(parts)


def _md_provenance(report: Report) -> list[str]:
    """What produced the report: version, date, command; suite, forms, prompt, sampling, grader."""
    p, c = dict(report.provenance), dict(report.condition)
    lines = []
    if p:
        lines.append(f"Produced by papertiger {p.get('version', '')} on {p.get('generated', '')}: "
                     f"`{p.get('command', '')}`")
    if c:
        forms = " → ".join(f"{f['name']} ({f['released'] or 'date unknown'})" for f in c.get("forms", []))
        lines += [f"Suite {c.get('suite')}: {forms}; prompt {', '.join(c.get('prompts', []))}; "
                  f"{c.get('samples')} samples per item; grader {', '.join(c.get('graders', []))}",
                  "Sampling: " + "; ".join(f"{k} {json.dumps(v, sort_keys=True)}"
                                          for k, v in c.get("sampling", {}).items())]
    return [*(f"{_md_escape(x)}  " for x in lines), ""] if lines else []


def _md_comparison(comp: GroupComparison | Skipped) -> list[str]:
    if isinstance(comp, Skipped):
        return [f"No group comparison: {_md_escape(comp.reason)}.", ""]
    label = METRIC_LABELS[comp.metric]
    d, bs = comp.difference, comp.bootstrap
    lines = [
        f"### {_md_escape(comp.group_a)} vs {_md_escape(comp.group_b)} on {label}",
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


def _md_multiverse(verse: Multiverse) -> str:
    header = ["metric", "subset", "n_a", "n_b", "difference"]
    header += [f"{t} ({'2' if side == 'two-sided' else '1'}-sided)" for t in verse.tests for side in SIDES]
    rows = []
    for r in verse.rows:
        cells = [r.metric, r.subset, str(r.n_a), str(r.n_b), _fmt(r.difference)]
        cells += [_fmt(r.p.get((t, side)), 3) for t in verse.tests for side in SIDES]
        rows.append(cells + ["too few models" if r.too_few else ""])
    return _md_table(header + ["note"], rows)
