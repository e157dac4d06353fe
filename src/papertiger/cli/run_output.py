"""What `papertiger run` prints: the dry-run plan and the summary of a run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from papertiger.runner import Plan, RunSpec, RunSummary


def print_plan(console: Console, spec: RunSpec, plan: Plan) -> None:
    """The plan: what will run under which condition, and what it may cost (a totals row)."""
    forms = ", ".join(f.name for f in spec.suite.forms)
    prompts = ", ".join(f"{t.name} ({t.hash[:8]})" for t in spec.templates)
    console.print(f"suite [bold]{escape(spec.suite.name)}[/]: forms {escape(forms)}; prompt "
                  f"{escape(prompts)}; k = {spec.samples}; seeds from {spec.seed_base}")
    table = Table(title="Plan")
    for name in ("model", "sampling", "attempts", "done", "to do", "est. prompt tok",
                 "est. output tok", "output tok from", "est. cost"):
        table.add_column(name, justify="left" if name in ("model", "sampling", "output tok from") else "right")
    sampling = {m.name: m.sampling.model_dump(exclude_defaults=True) for m in spec.models}
    for m in plan.models:
        cost = "unknown (no price)" if m.cost_usd is None else f"${m.cost_usd:,.2f}"
        shown = ", ".join(f"{k}={v}" for k, v in sampling.get(m.model, {}).items()) or "server defaults"
        table.add_row(escape(m.model), escape(shown), f"{m.total:,}", f"{m.done:,}", f"{m.todo:,}",
                      f"{m.prompt_tokens:,}", f"{m.output_tokens:,}", m.output_tokens_source, cost)
    total = plan.cost_usd
    table.add_row(
        "[bold]total[/]", "", f"{len(plan.items):,}", f"{plan.done:,}", f"{len(plan.todo):,}",
        f"{sum(m.prompt_tokens for m in plan.models):,}",
        f"{sum(m.output_tokens for m in plan.models):,}", "",
        "unknown" if total is None else f"${total:,.2f}", end_section=True,
    )
    console.print(table)
    if spec.max_cost is not None and total is not None and total > spec.max_cost:
        console.print(
            f"[yellow]warning:[/] the estimate (${total:,.2f}) exceeds --max-cost "
            f"${spec.max_cost:,.2f}: the run will stop at the cap with part of the plan done"
        )


def print_summary(console: Console, summary: RunSummary, db: Path) -> None:
    """Per-model counts, the most frequent errors, why the run stopped, what to do next."""
    if summary.nothing_to_do:
        console.print(
            f"nothing to do: {summary.planned:,} attempts already stored "
            f"({summary.correct_stored:,} correct); no new run was recorded. "
            f"Next: papertiger report --db {db}"
        )
        return
    table = Table(title=f"Run {summary.run_id}")
    for name in ("model", "done", "correct", "errors", "retries", "cost"):
        table.add_column(name, justify="left" if name == "model" else "right")
    for p in summary.progress:
        table.add_row(escape(p.model), f"{p.finished:,}/{p.total:,}", f"{p.correct:,}",
                      f"{p.errors:,}", f"{p.retries:,}", f"${p.cost_usd:,.4f}")
    console.print(table)
    console.print(f"spent ${summary.cost_usd:,.4f} in this run (the same figure the store holds)")
    if summary.errors_by_kind:
        errors = Table(title="Most frequent errors")
        for name in ("model", "code", "message", "attempts"):
            errors.add_column(name, justify="right" if name == "attempts" else "left")
        for model, code, message, count in summary.errors_by_kind[:5]:
            errors.add_row(escape(model), escape(code), escape(message[:100]), f"{count:,}")
        console.print(errors)
    if summary.stopped:
        console.print(f"[yellow]stopped:[/] {escape(summary.stopped)}")
        if summary.budget_stop:
            console.print("raise --max-cost and run the same command again to go on (exit status 4)")
    if summary.errors:
        retried = summary.retried_attempts
        how = f"{retried:,} of them after retries" if retried else "none was retried: retrying could not fix them"
        console.print(f"[red]{summary.errors:,} attempts failed[/] ({how}); they are stored with "
                      "their errors and not counted as wrong; run the same command again to retry "
                      "only those")
    console.print(f"results in {db}; next: papertiger report --db {db}")
