"""`papertiger dedup`: near-duplicate candidates of a suite's items among earlier material."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from papertiger.cli.app import app
from papertiger.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from papertiger.dedup import DedupItem, DedupReport
    from papertiger.render.dedup import DedupView
    from papertiger.runner.judge import JudgeSummary
    from papertiger.schema import ModelSpec, Suite
    from papertiger.store import SQLiteStore
    from papertiger.store.flags import FlagRow


PairKey = tuple[str, str, str, str]  # (form, item_id, source_form, source_id)


class Format(StrEnum):
    """Output formats on stdout."""

    rich = "rich"
    md = "md"
    csv = "csv"
    json = "json"


@app.command("dedup")
def dedup_command(  # noqa: PLR0913 - a CLI command mirrors its flags
    suite: Annotated[str, typer.Option(help="Built-in suite (aime, hmmt) or a name in --suites.")] = "aime",
    data: Annotated[Path | None, typer.Option(help="Folder with the suite's JSONL files (else Hugging Face).")] = None,
    suites: Annotated[Path | None, typer.Option(help="TOML file of user-defined suites.")] = None,
    corpus: Annotated[list[Path] | None, typer.Option(help="Older problems to compare with: JSONL, CSV or Parquet with id, problem, date (repeatable).")] = None,
    top: Annotated[int, typer.Option(help="Candidates kept per item.")] = 5,
    lexical_only: Annotated[bool, typer.Option(help="Skip embedding cosine even when the dedup extra is installed.")] = False,
    overlap: Annotated[float, typer.Option("--overlap-threshold", help="Mark pairs with lexical overlap at or above this.")] = 0.30,
    cosine: Annotated[float, typer.Option("--cosine-threshold", help="Mark pairs with embedding cosine at or above this.")] = 0.70,
    near_misses: Annotated[int, typer.Option(help="Also show this many of the strongest unmarked pairs.")] = 10,
    db: Annotated[Path | None, typer.Option(help="Store the flags (every ranked pair) in this results store, replacing the suite's earlier flags.")] = None,
    judge: Annotated[str | None, typer.Option(help="Ask this catalogue model whether each marked pair is the same problem (needs --models and --db).")] = None,
    models: Annotated[Path | None, typer.Option(help="Model catalogue (TOML) holding the --judge model.")] = None,
    output: Annotated[Format, typer.Option("--format", help="Output on stdout.")] = Format.rich,
    html: Annotated[Path | None, typer.Option(help="Write a self-contained HTML page of the ranked pairs to PATH.")] = None,
    figure: Annotated[Path | None, typer.Option(help="Write the score figure to PATH (.png, .svg or .pdf).")] = None,
) -> None:
    """Rank each item's near-duplicate candidates among earlier forms and corpus files."""
    from papertiger.benchmarks import load_suite
    from papertiger.dedup import Thresholds, find_candidates, read_corpus
    from papertiger.render.dedup import DedupView

    if judge is not None and (models is None or db is None):
        raise ConfigError("--judge needs --models (the catalogue holding the model) and --db "
                          "(the judge's replies are stored there, so the pass resumes)")
    if figure is not None and figure.suffix.lower() not in {".png", ".svg", ".pdf"}:
        raise ConfigError(f"--figure {figure}: the suffix must be .png, .svg or .pdf")
    if near_misses < 0:
        raise ConfigError("--near-misses must be 0 or more")
    judge_model = _judge_model(models, judge) if judge is not None else None
    thresholds = Thresholds(overlap=overlap, cosine=cosine)
    the_suite = load_suite(suite, data_dir=data, suites_file=suites)
    targets = _suite_items(the_suite)
    pool = list(targets)
    compared = [f"{the_suite.name}: {', '.join(the_suite.form_names)}"]
    for path in corpus or []:
        items = read_corpus(path)
        pool.extend(items)
        compared.append(f"{path.name}: {len(items):,} problems")
    pool = _distinct(pool)
    if lexical_only:
        report = find_candidates(targets, pool, top=top, thresholds=thresholds, embedder=None)
    else:
        with _status("embedding problem statements"):
            report = find_candidates(targets, pool, top=top, thresholds=thresholds)
    verdicts: dict[PairKey, str] = {}
    judges: set[str] = set()
    if db is not None:
        verdicts, judges = _store(db, the_suite.name, report, judge_model)
    view = DedupView(
        report=report,
        title=f"Near-duplicate candidates: {the_suite.name}",
        compared=tuple(compared),
        verdicts=verdicts,
        judge_model=", ".join(sorted(judges)) or None,
        near_misses=near_misses,
    )
    if report.note:
        typer.echo(f"note: {report.note}", err=True)
    if html is not None:  # files first: they must not depend on stdout staying open
        from papertiger.render.dedup import write_html

        typer.echo(f"wrote {write_html(view, html)}", err=True)
    if figure is not None:
        from papertiger.render.dedup import save_score_figure

        typer.echo(f"wrote {save_score_figure(report, figure)}", err=True)
    _emit(view, output)


def _suite_items(suite: Suite) -> list[DedupItem]:
    """Every item of every form, dated by its form (forms are compared as wholes)."""
    from papertiger.dedup import DedupItem

    return [
        DedupItem.from_problem(p, form=form.name, released=form.released)
        for form in suite.forms
        for p in form.problems
    ]


def _distinct(pool: list[DedupItem]) -> list[DedupItem]:
    """The pool without repeats of a (form, id) already in it (the first one is kept)."""
    seen: dict[tuple[str, str], DedupItem] = {}
    for item in pool:
        seen.setdefault((item.form, item.id), item)
    if len(seen) < len(pool):
        typer.echo(f"note: {len(pool) - len(seen)} problem(s) with a form and id already "
                   "compared were skipped", err=True)
    return list(seen.values())


def _judge_model(models: Path | None, name: str) -> ModelSpec:
    from papertiger.config import load_catalogue
    from papertiger.runner.judge import check_judge_model

    assert models is not None
    catalogue = load_catalogue(models)
    if name not in catalogue:
        raise ConfigError(f"--judge {name!r} is not a model in {models}")
    check_judge_model(catalogue[name])  # base URL and key, before anything is computed
    return catalogue[name]


def _status(message: str) -> Any:
    from rich.console import Console

    return Console(stderr=True).status(message)


def _store(
    db: Path, suite: str, report: DedupReport, judge_model: ModelSpec | None
) -> tuple[dict[PairKey, str], set[str]]:
    """Judge the marked pairs (when asked), store every ranked pair; return the stored
    verdicts (this pass's and those kept from an earlier one) and the judges' names."""
    from papertiger.store import open_store

    with open_store(db) as store:
        summary = _judge(store, suite, report, judge_model) if judge_model else None
        frame = _save_flags(store, suite, _flag_rows(suite, report, summary))
    judged = frame[frame["verdict"].notna()]
    verdicts = {
        (str(r.form), str(r.item_id), str(r.source_form), str(r.source_id)): str(r.verdict)
        for r in judged.itertuples()
    }
    return verdicts, {str(m) for m in judged["judge_model"].dropna()}


def _judge(store: SQLiteStore, suite: str, report: DedupReport, model: ModelSpec) -> JudgeSummary:
    from papertiger.runner.judge import judge_candidates

    marked = report.marked()
    with _status(f"asking {model.name} about {len(marked)} marked pair(s)"):
        summary = judge_candidates(marked, model, store, suite, argv=sys.argv[1:])
    typer.echo(
        f"judge {summary.model}: {summary.pairs} pair(s), {summary.done_before} already judged, "
        f"{summary.requests} sent ({summary.ok} ok, {summary.errors} failed)"
        + (f", ${summary.cost_usd:.4f}" if summary.cost_usd else ""),
        err=True,
    )
    if summary.errors:
        typer.echo("failed judge requests are stored as errors; run the same command again "
                   "to retry only those", err=True)
    return summary


def _flag_rows(suite: str, report: DedupReport, summary: JudgeSummary | None) -> list[FlagRow]:
    from papertiger.runner.judge import pair_hash, pair_key
    from papertiger.store.flags import FlagRow

    out = []
    for c in report.candidates:
        key = pair_key(c)
        verdict = summary.verdicts.get(key) if summary else None
        out.append(
            FlagRow(
                suite=suite,
                form=c.target.form,
                item_id=c.target.id,
                source_form=c.earlier.form,
                source_id=c.earlier.id,
                overlap=c.overlap,
                cosine=c.cosine,
                marked=c.marked,
                rank=c.rank,
                pair_hash=pair_hash(c.target.text, c.earlier.text),
                verdict=verdict,
                judge_model=summary.model if summary and verdict else None,
                judge_key=summary.keys.get(key) if summary and verdict else None,
            )
        )
    return out


def _save_flags(store: SQLiteStore, suite: str, rows: Sequence[FlagRow]) -> pd.DataFrame:
    """Replace the suite's flags and read them back (verdicts carried over included)."""
    store.put_item_flags(suite, rows)
    return store.item_flags_frame(suite)


def _emit(view: DedupView, output: Format) -> None:
    from rich.console import Console

    from papertiger.render import dedup as render

    if output is Format.rich:
        render.print_dedup(view, Console(width=max(Console().width, 130)))
    elif output is Format.md:
        sys.stdout.write(render.to_markdown(view))
    elif output is Format.csv:
        sys.stdout.write(render.to_csv(view))
    else:
        sys.stdout.write(render.to_json(view))
