"""The runner against a real loopback server: a full suite, faults, resume, budget."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from runner_helpers import answers_for, write_models

from openai_server import FaultRule, running_server
from papertiger.analysis import AttemptSource, form_metrics, pair_table, select_attempts
from papertiger.benchmarks import load_suite
from papertiger.config import load_catalogue
from papertiger.prompts import get_template
from papertiger.providers import RetryPolicy
from papertiger.runner import RunSpec, plan_run, run
from papertiger.store import open_store

FAST_RETRY = RetryPolicy(max_attempts=4, backoff_s=0.01, backoff_max_s=0.05, budget_s=10)


def make_spec(tmp_path: Path, data_dir: Path, url: str, samples: int = 4, **kw) -> RunSpec:
    catalogue = load_catalogue(write_models(tmp_path / "models.toml", url))
    forms = kw.pop("forms", ["aime2024", "aime2025"])
    suite = load_suite("aime", data_dir=data_dir, forms=forms)
    return RunSpec(
        models=(catalogue["fake-cn"], catalogue["fake-us"]),
        suite=suite,
        samples=samples,
        templates=(get_template(kw.pop("prompt", "boxed"), "integer"),),
        db=tmp_path / "results.db",
        retry=kw.pop("retry", FAST_RETRY),
        **kw,
    )


def test_full_suite_k4_then_resume_repeats_nothing(tmp_path, data_dir, monkeypatch) -> None:
    monkeypatch.setenv("PAPERTIGER_TEST_KEY", "sk-test-full-suite")
    with running_server(answers=answers_for(data_dir), p_correct=0.6, latency_ms=5) as url:
        spec = make_spec(tmp_path, data_dir, url)
        summary = run(spec)
        assert (summary.planned, summary.ok, summary.errors) == (480, 480, 0)
        seen = len(url.server.log())
        assert seen == 480
        # the k samples of an item carry different seeds (0..3), so they can differ
        seeds = {entry["body"].get("seed") for entry in url.server.log()}
        assert seeds == {0, 1, 2, 3}
        again = run(spec)
        assert (again.done_before, again.ok) == (480, 0)
        assert len(url.server.log()) == seen  # nothing was sent again
    results = select_attempts(AttemptSource(spec.db))
    assert len(results.frame) == 480
    assert results.frame["correct"].notna().all()
    metrics = form_metrics(results).to_frame()
    assert set(metrics["form"]) == {"aime2024", "aime2025"}
    share = results.frame["correct"].astype(float).mean()
    assert 0.45 < share < 0.75  # the server answers correctly with p = 0.6
    table = pair_table(results, "aime2024", "aime2025")
    assert {"pp_fall_low", "pp_fall_high"} <= set(table.frame.columns)
    assert set(table.frame["group"]) == {"Chinese", "Western"}


def test_faults_are_retried_and_failures_recorded(tmp_path, data_dir, monkeypatch) -> None:
    monkeypatch.setenv("PAPERTIGER_TEST_KEY", "sk-test-faults")
    rules = [FaultRule(fault="400", prompt_contains="problem I-3:")]
    with running_server(
        answers=answers_for(data_dir),
        fail_rate=0.15,
        fail_faults=("429", "500", "503", "drop", "malformed", "cut"),
        retry_after=0.02,
        rules=rules,
    ) as url:
        spec = make_spec(tmp_path, data_dir, url, samples=2)
        summary = run(spec)
        # the 400s cannot be fixed by retrying: 2 items (2024 and 2025 I-3) × 2 samples × 2 models
        assert summary.errors == 8
        assert summary.ok == 240 - 8
        assert summary.retries > 0
        with open_store(spec.db) as store:
            errors = store.errors_frame()
            assert len(store.error_keys()) == 8
        assert errors["error"].str.contains("FatalProviderError").all()
        # a re-run retries only the failed keys
        before = len(url.server.log())
        url.server.set_faults(rules=[], fail_rate=0.0)
        again = run(spec)
        assert (again.ok, again.errors) == (8, 0)
        assert len(url.server.log()) - before == 8
    attempts = select_attempts(AttemptSource(spec.db)).frame
    assert (attempts["status"] == "ok").all() and len(attempts) == 240


def test_error_text_is_never_model_text(tmp_path, data_dir, monkeypatch) -> None:
    monkeypatch.setenv("PAPERTIGER_TEST_KEY", "sk-test-err")
    with running_server(answers=answers_for(data_dir), faults=["400"] * 4) as url:
        spec = make_spec(tmp_path, data_dir, url, samples=1, concurrency=1)
        run(spec)
    con = sqlite3.connect(spec.db)
    rows = con.execute("SELECT text, error FROM attempts WHERE status = 'error'").fetchall()
    assert rows and all(text is None and error for text, error in rows)
    graded = con.execute(
        "SELECT COUNT(*) FROM grades g JOIN attempts a ON a.key = g.attempt_key "
        "WHERE a.status = 'error'"
    ).fetchone()[0]
    assert graded == 0  # failures are never graded (never counted as wrong)


def test_max_cost_is_never_overspent(tmp_path, data_dir, monkeypatch) -> None:
    monkeypatch.setenv("PAPERTIGER_TEST_KEY", "sk-test-cost")
    with running_server(answers=answers_for(data_dir)) as url:
        spec = make_spec(tmp_path, data_dir, url, samples=4, max_cost=0.002, concurrency=8)
        spec = replace_models(spec, *(m.model_copy(update={"sampling": m.sampling.model_copy(
            update={"max_tokens": 64})}) for m in spec.models))
        summary = run(spec)
    assert summary.budget_stop and summary.stopped and "--max-cost" in summary.stopped
    assert 0 < summary.ok < 480
    con = sqlite3.connect(spec.db)
    stored = con.execute("SELECT SUM(cost_usd) FROM attempts").fetchone()[0]
    assert stored == pytest.approx(summary.cost_usd)  # the store and the summary agree
    assert summary.cost_usd <= 0.002  # in-flight attempts were paid for in advance
    assert f"spent ${summary.cost_usd:.4f}" in summary.stopped
    forms = dict(con.execute("SELECT form, COUNT(*) FROM attempts GROUP BY form").fetchall())
    assert abs(forms["aime2024"] - forms["aime2025"]) <= 2 * 8  # the forms interleave


def test_dry_run_plan_counts(tmp_path, data_dir) -> None:
    spec = make_spec(tmp_path, data_dir, "http://127.0.0.1:9/v1", samples=3)
    with open_store(spec.db) as store:
        plan = plan_run(spec, store)
    assert len(plan.items) == 2 * 60 * 3 and len(plan.todo) == len(plan.items)
    assert all(m.cost_usd is not None and m.cost_usd > 0 for m in plan.models)
    keys = [i.request.key for i in plan.items]
    assert len(set(keys)) == len(keys)


def test_key_ignores_timeouts_and_concurrency(tmp_path, data_dir) -> None:
    from dataclasses import replace

    spec = make_spec(tmp_path, data_dir, "http://127.0.0.1:9/v1", samples=1)
    with open_store(spec.db) as store:
        base = [i.request.key for i in plan_run(spec, store).items]
        slower = replace(
            spec,
            concurrency=3,
            models=tuple(m.model_copy(update={"timeout_s": 99.0, "concurrency": 2}) for m in spec.models),
        )
        assert [i.request.key for i in plan_run(slower, store).items] == base
        hotter = replace(
            spec,
            models=tuple(
                m.model_copy(update={"sampling": m.sampling.model_copy(update={"temperature": 0.7})})
                for m in spec.models
            ),
        )
        assert not set(i.request.key for i in plan_run(hotter, store).items) & set(base)


@pytest.mark.parametrize("grader_version", ["test-v2"])
def test_regrade_adds_rows(tmp_path, data_dir, monkeypatch, grader_version) -> None:
    from papertiger.grading import GRADERS, IntegerGrader
    from papertiger.runner import regrade

    monkeypatch.setenv("PAPERTIGER_TEST_KEY", "sk-test-regrade")
    with running_server(answers=answers_for(data_dir)) as url:
        spec = make_spec(tmp_path, data_dir, url, samples=1)
        run(spec)
    first = regrade(spec.db, spec.suite)
    assert first.graded == 120 and first.added == 0  # same grader version: nothing new

    class NextVersion(IntegerGrader):
        version = grader_version

    monkeypatch.setitem(GRADERS, "integer", NextVersion)
    second = regrade(spec.db, spec.suite)
    assert second.added == 120
    con = sqlite3.connect(spec.db)
    assert con.execute("SELECT COUNT(*) FROM grades").fetchone()[0] == 240


def test_seed_base_is_part_of_the_key(tmp_path, data_dir) -> None:
    from dataclasses import replace

    spec = make_spec(tmp_path, data_dir, "http://127.0.0.1:9/v1", samples=2)
    with open_store(spec.db) as store:
        base = {i.request.key for i in plan_run(spec, store).items}
        other = {i.request.key for i in plan_run(replace(spec, seed_base=1000), store).items}
    assert not base & other


def test_max_cost_needs_prices(tmp_path, data_dir, monkeypatch) -> None:
    from dataclasses import replace

    monkeypatch.setenv("PAPERTIGER_TEST_KEY", "sk-test-prices")
    from papertiger.errors import ConfigError

    spec = make_spec(tmp_path, data_dir, "http://127.0.0.1:9/v1", samples=1, max_cost=1.0)
    unpriced = replace(spec, models=tuple(m.model_copy(update={"price_in": None}) for m in spec.models))
    with pytest.raises(ConfigError, match="--max-cost needs prices"):
        run(unpriced)


def test_models_sharing_an_endpoint_keep_their_own_concurrency(tmp_path, data_dir) -> None:
    from papertiger.providers import endpoint_limits

    spec = make_spec(tmp_path, data_dir, "http://127.0.0.1:9/v1", samples=1)
    a, b = spec.models
    spec = replace_models(spec, a.model_copy(update={"concurrency": 3, "rpm": 600}),
                          b.model_copy(update={"concurrency": 5, "rpm": 300}))
    (limits,) = endpoint_limits(spec.models).values()
    assert (limits.concurrency, limits.rpm) == (8, 300)


def replace_models(spec: RunSpec, *models) -> RunSpec:
    from dataclasses import replace

    return replace(spec, models=tuple(models))


def test_too_few_items_is_a_note_not_a_crash(tmp_path, data_dir, monkeypatch) -> None:
    monkeypatch.setenv("PAPERTIGER_TEST_KEY", "sk-test-few")
    rules = [FaultRule(fault="400", prompt_contains="Synthetic 2025")]
    with running_server(answers=answers_for(data_dir), rules=rules) as url:
        spec = make_spec(tmp_path, data_dir, url, samples=1)
        run(spec)
    results = select_attempts(AttemptSource(spec.db))
    table = pair_table(results, "aime2024", "aime2025")
    assert table.frame.empty
    assert any("left out" in n for n in table.notes)
    metrics = form_metrics(results).to_frame()
    fresh = metrics[metrics["form"] == "aime2025"]
    assert (fresh["errors"] == 30).all()


def test_unset_api_key_fails_before_any_request(tmp_path, data_dir, monkeypatch) -> None:
    from papertiger.errors import ConfigError

    monkeypatch.delenv("PAPERTIGER_TEST_KEY", raising=False)
    with running_server(answers=answers_for(data_dir)) as url:
        spec = make_spec(tmp_path, data_dir, url, samples=1)
        with pytest.raises(ConfigError, match=r"\$PAPERTIGER_TEST_KEY, which is not set"):
            run(spec)
        assert url.server.log() == []


def test_a_plan_above_ten_million_attempts_needs_yes(tmp_path, data_dir) -> None:
    from dataclasses import replace

    from papertiger.config import scripted_catalogue
    from papertiger.errors import ConfigError

    spec = make_spec(tmp_path, data_dir, "http://127.0.0.1:9/v1", samples=1)
    huge = replace(spec, models=tuple(scripted_catalogue().values()), samples=100_000,
                   provider="scripted")
    expected = f"{len(huge.models) * 60 * 100_000:,}"  # models × items × samples
    with pytest.raises(ConfigError, match=rf"{expected} attempts .*add --yes"):
        run(huge)
    assert not spec.db.exists()  # refused before the store was even opened
