"""Import other tools' files into a results store: read all, then one transaction per file.

    summary = import_files(ImportSpec("lm-eval", (Path("out/"),), Path("results.db")))

Every file is read, matched and graded before anything is written, so a malformed file
(the error names it, with the line or row and the field) leaves the store as it was. Then
each file is one `put_attempts` call, one transaction. Keys are deterministic, so
re-importing a file adds nothing; a newer version of it (more samples, a finished Inspect
log) adds only what is new. Nothing new means nothing written, not even a run record.

The import is recorded as a run whose spec names the tool, files, sources, suite, forms,
prompts and models (metadata from `--models` and the known models, else what the store
already has for that name, so an import never blanks a live run's metadata).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from papertiger.benchmarks import builtin_suites, load_suite, read_suites_file
from papertiger.config import load_catalogue
from papertiger.errors import InputError, StoreError
from papertiger.grading import get_grader
from papertiger.importers.batch import PreparedFile, Unmatched, prepare_file
from papertiger.importers.matching import ItemMap, ItemMatcher
from papertiger.importers.records import ImportedSample
from papertiger.importers.registry import find_files, read_all, reader
from papertiger.importers.runinfo import run_info
from papertiger.schema import Attempt, Grade, ModelSpec, SamplingParams, Suite
from papertiger.store import SQLiteStore, open_store

__all__ = ["DEFAULT_SUITE", "FileImport", "ImportSpec", "ImportSummary", "import_files"]

DEFAULT_SUITE = "aime"


@dataclass(frozen=True)
class ImportSpec:
    """What to import, into which store, matched against which suite.

    `suite` is a loaded `Suite` or a name (built-in, or in `suites_file`; local files in
    `data_dir`); None takes the table's `suite` column, else a built-in suite named in the
    tool's task (`hmmt_feb_2025` → hmmt), else "aime". `model` names the model of files
    that do not (or renames a single-model file's); `form` places files whose task names
    no year; `item_map` is a `source_item,item_id` CSV; `models_file` a catalogue giving
    the imported models' metadata.
    """

    tool: str
    paths: tuple[Path, ...]
    db: Path
    suite: Suite | str | None = None
    data_dir: Path | None = None
    suites_file: Path | None = None
    model: str | None = None
    form: str | None = None
    item_map: Path | None = None
    models_file: Path | None = None


@dataclass(frozen=True)
class FileImport:
    """What importing one file did (`prepared` holds the counts found while reading)."""

    prepared: PreparedFile
    new: int  # attempts added
    stored: int  # attempts the store already held (re-import)
    replaced: int  # stored failures that this file has as successes

    @property
    def path(self) -> Path:
        return self.prepared.path

    @property
    def unmatched(self) -> tuple[Unmatched, ...]:
        return self.prepared.unmatched

    @property
    def errors(self) -> int:
        """Failed samples among the file's attempts (stored apart, never graded)."""
        return sum(a.completion.status == "error" for a in self.prepared.attempts)


@dataclass(frozen=True)
class ImportSummary:
    """The whole import: the run it was recorded as (None if nothing was new), per file."""

    run_id: str | None
    db: Path
    suite: str
    files: tuple[FileImport, ...]

    @property
    def new(self) -> int:
        return sum(f.new for f in self.files)

    @property
    def stored(self) -> int:
        return sum(f.stored for f in self.files)


def import_files(
    spec: ImportSpec,
    argv: Sequence[str] = (),
    on_file: Callable[[FileImport], None] | None = None,
) -> ImportSummary:
    """Import `spec`'s files; `on_file` hears about each file as it is committed."""
    reader(spec.tool)  # an unknown tool, or a store that cannot be made, fails before reading
    if not spec.db.parent.is_dir():
        raise StoreError(
            f"cannot create results store {spec.db}: folder {spec.db.parent} does not exist"
        )
    run_id = uuid.uuid4().hex
    suite, catalogue, prepared = _prepare(spec, run_id)
    tell = on_file or (lambda _: None)
    with open_store(spec.db) as store:
        todo = [_new_only(store, p) for p in prepared]
        if not any(attempts for attempts, _ in todo):
            done = [FileImport(p, 0, len(p.attempts), 0) for p in prepared]
            for report in done:
                tell(report)
            return ImportSummary(None, spec.db, suite.name, tuple(done))
        store.put_items(suite.name, suite.problems())
        run_spec = _run_spec(spec, suite, prepared, catalogue, _stored_metadata(store))
        store.start_run(run_id, argv=list(argv), spec=run_spec)
        outcome, reports = "failed", []
        try:
            for file, (attempts, grades) in zip(prepared, todo, strict=True):
                reports.append(_write(store, file, attempts, grades))
                tell(reports[-1])
            outcome = "completed"
        finally:
            store.finish_run(run_id, outcome=outcome)
    return ImportSummary(run_id, spec.db, suite.name, tuple(reports))


def _prepare(
    spec: ImportSpec, run_id: str
) -> tuple[Suite, Mapping[str, ModelSpec], list[PreparedFile]]:
    """Read, match, map and grade every file: all errors come before any write."""
    samples = {path: read_all(spec.tool, path) for path in _files(spec)}
    suite = _suite(spec, samples)
    item_map = ItemMap.read(spec.item_map, suite) if spec.item_map is not None else None
    matcher = ItemMatcher(suite, spec.form, item_map)
    catalogue = load_catalogue(spec.models_file)
    grader = get_grader(suite.grader)
    prepared = [
        prepare_file(
            path,
            records,
            run_info(spec.tool, path, records[0] if records else None),
            matcher,
            grader,
            model=spec.model,
            catalogue=catalogue,
            run_id=run_id,
        )
        for path, records in samples.items()
    ]
    return suite, catalogue, prepared


def _write(
    store: SQLiteStore,
    file: PreparedFile,
    attempts: list[Attempt],
    grades: list[tuple[str, Grade]],
) -> FileImport:
    """One file's new attempts in one transaction, and what that did."""
    result = store.put_attempts(attempts, grades) if attempts else None
    inserted = result.inserted if result else 0
    replaced = result.replaced if result else 0
    return FileImport(file, inserted, len(file.attempts) - inserted - replaced, replaced)


def _files(spec: ImportSpec) -> list[Path]:
    if not spec.paths:
        raise InputError(f"give at least one {spec.tool} file or folder to import")
    found: dict[Path, None] = {}
    for path in spec.paths:
        files = find_files(spec.tool, path)
        if not files:
            raise InputError(f"no {spec.tool} files in this folder", path=str(path))
        found.update(dict.fromkeys(files))
    return list(found)


def _suite(spec: ImportSpec, samples: Mapping[Path, list[ImportedSample]]) -> Suite:
    if isinstance(spec.suite, Suite):
        return spec.suite
    name = spec.suite or _suite_from_records(spec, samples)
    return load_suite(name, data_dir=spec.data_dir, suites_file=spec.suites_file)


def _suite_from_records(spec: ImportSpec, samples: Mapping[Path, list[ImportedSample]]) -> str:
    named: dict[str, Path] = {}
    for path, records in samples.items():
        for record in records:
            if record.suite:
                named.setdefault(record.suite, path)
    if len(named) > 1:
        first, second = list(named)[:2]
        raise InputError(
            f"the records name several suites ({first!r}, {second!r}); import each with --suite",
            path=str(named[second]),
            field="suite",
        )
    if named:
        return next(iter(named))
    known = set(builtin_suites(spec.data_dir))
    if spec.suites_file is not None:
        known |= set(read_suites_file(spec.suites_file))
    tasks = {(r.task or "").lower() for records in samples.values() for r in records}
    guessed = {name for name in known for task in tasks if name.lower() in task}
    return guessed.pop() if len(guessed) == 1 else DEFAULT_SUITE


def _new_only(
    store: SQLiteStore, prepared: PreparedFile
) -> tuple[list[Attempt], list[tuple[str, Grade]]]:
    """The attempts the store lacks, or holds only as a failure this file has as a success."""
    keys = [a.key for a in prepared.attempts]
    finished = store.finished_keys(keys)
    failed = store.error_keys() & set(keys)
    wanted = [
        a
        for a in prepared.attempts
        if a.key not in finished and not (a.key in failed and a.completion.status == "error")
    ]
    chosen = {a.key for a in wanted}
    return wanted, [(key, grade) for key, grade in prepared.grades if key in chosen]


def _stored_metadata(store: SQLiteStore) -> dict[str, dict[str, Any]]:
    """Each model's metadata as the store's latest run that named it recorded it."""
    latest: dict[str, dict[str, Any]] = {}
    runs = store.runs_frame()
    for spec_json in runs["spec_json"] if len(runs) else []:
        try:
            spec = json.loads(spec_json)
        except (TypeError, ValueError):
            continue
        for model in spec.get("models", []) if isinstance(spec, dict) else []:
            if isinstance(model, dict) and isinstance(model.get("name"), str):
                latest[model["name"]] = model
    return latest


def _run_spec(
    spec: ImportSpec,
    suite: Suite,
    prepared: Sequence[PreparedFile],
    catalogue: Mapping[str, ModelSpec],
    stored: Mapping[str, dict[str, Any]],
) -> dict[str, Any]:
    """The run's record: enough for holdings, model metadata and `report --run`."""
    pairs: dict[tuple[str, str], SamplingParams] = {}
    prompts: dict[tuple[str, str], None] = {}
    for file in prepared:
        pairs.update({(name, s.canonical()): s for name, s in file.models})
        prompts.update(dict.fromkeys(file.prompts))
    models = []
    for (name, _), sampling in pairs.items():
        known = catalogue.get(name)
        entry = json.loads(known.model_dump_json()) if known else dict(stored.get(name, {}))
        entry.update(name=name, sampling=json.loads(sampling.model_dump_json()))
        models.append(entry)
    return {
        "import": spec.tool,
        "files": [str(f.path) for f in prepared],
        "sources": sorted({s for f in prepared for s in f.sources}),
        "suite": suite.name,
        "forms": [
            {"name": f.name, "released": f.released.isoformat() if f.released else None}
            for f in suite.forms
        ],
        "seed_base": None,
        "prompts": [{"name": name, "hash": digest} for name, digest in prompts],
        "models": models,
    }
