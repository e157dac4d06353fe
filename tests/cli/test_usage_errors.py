"""Every usage error is one line on stderr and exit status 2 — never a traceback.

Run as a user runs them: the installed entry point in a subprocess, so the copy of click
that typer carries (typer 0.29 bundles its own) is the one under test.
"""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from papertiger.config import scripted_catalogue

pytestmark = pytest.mark.slow

PAPERTIGER = [sys.executable, "-m", "papertiger"]
# The small store below: every scripted demo model, one sample of AIME 2024 and 2025 (30 + 30).
DEMO_ATTEMPTS = len(scripted_catalogue()) * 60


def cli(*args: str, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "HF_HUB_OFFLINE": "1"}
    return subprocess.run([*PAPERTIGER, *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, env=env, input=stdin)


def one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("papertiger: error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cat") / "models.toml"
    path.write_text('[[model]]\nname = "m"\nbase_url = "http://127.0.0.1:9/v1"\n')
    return path


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (("report", "--bogus"), ("No such option: --bogus", "papertiger report --help")),
        (("report", "--format", "xml"), ("--format", "xml")),
        (("report", "--metric", "nope"), ("--metric", "nope")),
        (("run",), ("--models is required",)),
        (("run", "--samples", "abc"), ("--samples",)),
        (("run", "--samples", "0"), ("--samples",)),
        (("run", "--concurrency", "-4"), ("--concurrency",)),
        (("run", "--concurrency", "0"), ("--concurrency",)),
        (("reprot",), ("No such command 'reprot'", "report")),
        (("report", "--db", "typo.db"), ("no such store: typo.db",)),
        (("export", "--db", "typo.db"), ("no such store: typo.db",)),
        (("regrade", "--db", "typo.db"), ("no such store: typo.db",)),
        (("report", "--suite", "aime"), ("--suite", "give --db too")),
    ],
)
def test_usage_errors_are_one_line(tmp_path: Path, args: tuple[str, ...], needles: tuple[str, ...]) -> None:
    proc = cli(*args, cwd=tmp_path)
    one_line_error(proc, *needles)
    assert not (tmp_path / "typo.db").exists()  # a typo never creates a store


def test_no_arguments_prints_help_and_exits_2() -> None:
    proc = cli()
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "report" in proc.stdout and "run" in proc.stdout


def test_version() -> None:
    proc = cli("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("papertiger ")


@pytest.mark.parametrize("value", ["nan", "-5", "0", "inf"])
def test_max_cost_must_be_finite_and_positive(tmp_path: Path, models: Path, value: str) -> None:
    proc = cli("run", "--models", str(models), "--provider", "scripted", "--max-cost", value,
               "--db", str(tmp_path / "r.db"), cwd=tmp_path)
    one_line_error(proc, "--max-cost")
    assert not (tmp_path / "r.db").exists()


def test_a_folder_as_the_catalogue(tmp_path: Path) -> None:
    one_line_error(cli("run", "--models", str(tmp_path)), str(tmp_path))


def test_a_model_without_base_url(tmp_path: Path) -> None:
    path = tmp_path / "models.toml"
    path.write_text('[[model]]\nname = "a"\nbase_url = "http://127.0.0.1:9/v1"\n\n[[model]]\nname = "b"\n')
    one_line_error(cli("run", "--models", str(path)), "b has no base_url", "--model")
    one_line_error(cli("run", "--models", str(path), "--model", "b"), "'b' has no base_url")


def test_a_misspelt_catalogue_field_names_its_line_and_the_right_name(tmp_path: Path) -> None:
    path = tmp_path / "models.toml"
    path.write_text('[[model]]\nname = "a"\nbase_url = "http://127.0.0.1:9/v1"\ntemprature = 0.6\n')
    one_line_error(cli("run", "--models", str(path)), "line 4", "'temprature'",
                   "did you mean 'temperature'")


def test_a_non_http_base_url(tmp_path: Path) -> None:
    path = tmp_path / "models.toml"
    path.write_text('[[model]]\nname = "a"\nbase_url = "ftp://example.com/v1"\n')
    one_line_error(cli("run", "--models", str(path)), "line 3", "http:// or https://")


def test_a_csv_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("model,group,old,fresh\nCafé,CN,80,60\n".encode("latin-1"))
    one_line_error(cli("report", str(path)), str(path))


def test_scores_given_as_fractions(tmp_path: Path) -> None:
    path = tmp_path / "frac.csv"
    path.write_text("model,group,old,fresh\nA,CN,0.8,0.6\nB,US,0.7,0.65\n")
    one_line_error(cli("report", str(path)), "percentages", "line 2")


def test_a_corrupt_store(tmp_path: Path) -> None:
    path = tmp_path / "bad.db"
    path.write_bytes(b"SQLite format 3\x00" + b"\x13" * 8000)
    for args in (("report", "--db", str(path)), ("export", "--db", str(path), "-o", str(tmp_path / "x.csv"))):
        one_line_error(cli(*args), str(path))


def test_an_sqlite_file_that_is_not_ours(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    one_line_error(cli("report", "--db", str(path)), "not a papertiger results store")


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("store")
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "data"
    if not shared.is_dir():
        pytest.skip("../shared/data not present")
    db = folder / "r.db"
    proc = cli("run", "--provider", "scripted", "--data", str(shared), "--forms",
               "aime2024,aime2025", "--samples", "1", "--db", str(db))
    assert proc.returncode == 0, proc.stderr
    return db


def test_export_refuses_an_unknown_suffix_and_writes_csv_to_stdout(small_store: Path, tmp_path: Path) -> None:
    one_line_error(cli("export", "--db", str(small_store), "-o", str(tmp_path / "x.xlsx")), ".xlsx")
    assert not (tmp_path / "x.xlsx").exists()
    one_line_error(cli("export", "--db", str(small_store), "-o", str(tmp_path / "x.parquet"),
                       "--format", "csv"), "does not match")
    out = cli("export", "--db", str(small_store), "-o", "-")
    assert out.returncode == 0, out.stderr
    frame = pd.read_csv(io.StringIO(out.stdout))
    assert {"key", "model", "form", "gold", "problem", "correct"} <= set(frame.columns)
    assert len(frame) == DEMO_ATTEMPTS and frame["gold"].notna().all()
    default = cli("export", "--db", str(small_store), "--format", "csv", cwd=tmp_path)
    assert default.returncode == 0 and (tmp_path / "results.csv").exists()
    assert not (tmp_path / "results.parquet").exists()


def test_rerunning_a_finished_run_does_nothing_and_says_so(small_store: Path) -> None:
    runs_before = sqlite3.connect(small_store).execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "data"
    proc = cli("run", "--provider", "scripted", "--data", str(shared), "--forms",
               "aime2024,aime2025", "--samples", "1", "--db", str(small_store))
    assert proc.returncode == 0, proc.stderr
    assert f"nothing to do: {DEMO_ATTEMPTS} attempts already stored (" in proc.stdout
    assert "correct); no new run was recorded" in proc.stdout
    runs_after = sqlite3.connect(small_store).execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    assert runs_after == runs_before


def _read_only_copy(store: Path, folder: Path) -> Path | None:
    """A copy of the store on a read-only file system (a tmpfs remounted read-only, as root)
    or in a read-only folder (as another user); None when neither can be made here."""
    import shutil

    folder.mkdir()
    if os.geteuid() == 0:
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(folder)],
                          capture_output=True).returncode != 0:
            return None
        shutil.copyfile(store, folder / store.name)
        if subprocess.run(["mount", "-o", "remount,ro", str(folder)], capture_output=True).returncode:
            subprocess.run(["umount", str(folder)], capture_output=True)
            return None
        return folder / store.name
    shutil.copyfile(store, folder / store.name)
    folder.chmod(0o555)
    return folder / store.name


def test_a_store_on_read_only_media_is_read(small_store: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    copy = _read_only_copy(small_store, folder)
    if copy is None:
        pytest.skip("cannot make a read-only file system here (mount not permitted)")
    try:
        with pytest.raises(OSError):
            (folder / "probe").write_text("x")  # really read-only
        report = cli("report", "--db", str(copy), "--format", "json")
        assert report.returncode == 0, report.stderr
        assert '"sections"' in report.stdout
        out = cli("export", "--db", str(copy), "-o", "-")
        assert out.returncode == 0, out.stderr
        assert len(pd.read_csv(io.StringIO(out.stdout))) == DEMO_ATTEMPTS
        shared = Path(__file__).resolve().parents[2].parent / "shared" / "data"
        run = cli("run", "--provider", "scripted", "--samples", "2", "--data", str(shared),
                  "--db", str(copy))
        one_line_error(run, str(copy))
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(folder)], capture_output=True)
        else:
            folder.chmod(0o755)


def test_a_full_disk_is_one_line_and_keeps_what_was_committed(tmp_path: Path) -> None:
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "data"
    if not shared.is_dir():
        pytest.skip("../shared/data not present")
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(folder)], capture_output=True
    ).returncode == 0
    if not mounted:
        pytest.skip("cannot mount a small file system here")
    try:
        db = folder / "r.db"
        proc = cli("run", "--provider", "scripted", "--data", str(shared), "--samples", "16",
                   "--db", str(db))
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        errors = [x for x in proc.stderr.splitlines() if x.startswith("papertiger: error:")]
        assert len(errors) == 1 and proc.stderr.rstrip().endswith(errors[0])  # one last line
        for needle in (str(db), "disk is full", "free some space", "committed before is kept"):
            assert needle in errors[0]
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert con.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] > 0
        finally:
            con.close()
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)
