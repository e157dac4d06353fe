"""Suites: ordered series of dated forms of one benchmark, built in or defined in TOML.

Built in: `aime` (AIME 2024, 2025, 2026; integer answers) and `hmmt` (HMMT February 2024,
2025; LaTeX answers). Each loads from a local folder (`data_dir`, holding aime_2024.jsonl,
aime_2025.jsonl, aime_2026.jsonl, hmmt_feb_2024.jsonl, hmmt_feb_2025.jsonl) or, with no
folder, from its default Hugging Face datasets (network). A suites file adds or overrides
suites, listing forms in release order:

    [[suite]]
    name = "aime"
    grader = "integer"
    [[suite.form]]
    name = "aime2024"
    path = "data/aime_2024.jsonl"      # relative to this file; or dataset = "...", split = "..."
    fields = { id = "id", problem = "problem", answer = "answer" }
    count = 30
    released = 2024-02-01
    [[suite.form]]
    name = "aime2025"
    ...

The older two-form spelling (`[suite.old]` and `[suite.fresh]`) is still read.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from papertiger.benchmarks.loaders import FieldMap, SetSource, load_set
from papertiger.errors import InputError
from papertiger.schema import Suite
from papertiger.schema.problem import AnswerFormat


class SuiteSpec(BaseModel):
    """A suite's definition: its forms' sources, in release order, and the shared grader.

    `answer_format` defaults to 'integer' for the 'integer' grader and 'latex'
    otherwise; every form uses the suite's format.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    grader: str = "integer"
    answer_format: AnswerFormat | None = None
    description: str | None = None
    forms: tuple[SetSource, ...] = Field(min_length=2)

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        if "form" in data:  # TOML's [[suite.form]] tables
            if "forms" in data:
                raise ValueError("give the forms as [[suite.form]] or 'forms', not both")
            data["forms"] = data.pop("form")
        legacy = [h for h in ("old", "fresh") if h in data]
        if legacy:
            if "forms" in data or len(legacy) != 2:
                raise ValueError("[suite.old] and [suite.fresh] go together, without forms")
            data["forms"] = [data.pop("old"), data.pop("fresh")]
        fmt = data.get("answer_format") or (
            "integer" if data.get("grader", "integer") == "integer" else "latex"
        )
        data["answer_format"] = fmt
        forms = data.get("forms")
        if isinstance(forms, list | tuple):
            fixed = []
            for index, form in enumerate(forms):
                if isinstance(form, Mapping):
                    if form.get("answer_format", fmt) != fmt:
                        raise ValueError(
                            f"form #{index + 1}: answer_format must match the suite's ({fmt!r})"
                        )
                    form = {**form, "answer_format": fmt}
                fixed.append(form)
            data["forms"] = fixed
        return data

    @model_validator(mode="after")
    def _distinct_forms(self) -> SuiteSpec:
        # The store tells forms apart by name, so names must differ.
        names = [f.name for f in self.forms]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"two forms share the name {dupes[0]!r}")
        dates = [f.released for f in self.forms]
        if all(d is not None for d in dates) and dates != sorted(dates):  # type: ignore[type-var]
            raise ValueError("list the forms in release order (earliest first)")
        return self

    @property
    def form_names(self) -> tuple[str, ...]:
        """The forms' names in release order."""
        return tuple(f.name for f in self.forms)


# -- built-in suites ---------------------------------------------------------------------

# Local files: the layout of ../shared/data (see PROVENANCE.md there).
_LOCAL_FILES = {
    "aime": ("aime_2024.jsonl", "aime_2025.jsonl", "aime_2026.jsonl"),
    "hmmt": ("hmmt_feb_2024.jsonl", "hmmt_feb_2025.jsonl"),
}

# DEFAULT REMOTE SOURCES (used only when no data_dir is given; needs the network).
# Their wording and ids differ from the local files (e.g. HuggingFaceH4/aime_2024 uses
# the AoPS wording), so their item ids carry a source tag and never silently join
# local-file ids.
_HF_ONLY = FieldMap(
    year=None, exam=None, number=None, topic=None, released=None, problem_alt=None
)


def _matharena(name: str, dataset: str) -> dict[str, Any]:
    return {
        "name": name,
        "dataset": dataset,
        "split": "train",
        "fields": _HF_ONLY.model_copy(update={"id": "problem_idx"}),
        "id_format": name + "-ma-{problem_idx:02d}",
    }


_BUILTIN: dict[str, dict[str, Any]] = {
    "aime": {
        "grader": "integer",
        "description": "AIME 2024 -> 2025 -> 2026; integer answers 0-999",
        # Exam dates (part I, the earliest of each year): 2024-02-01, 2025-02-06, 2026-02-05.
        "released": (dt.date(2024, 2, 1), dt.date(2025, 2, 6), dt.date(2026, 2, 5)),
        "hf": (
            {
                "name": "aime2024",
                "dataset": "HuggingFaceH4/aime_2024",
                "split": "train",
                "fields": _HF_ONLY.model_copy(update={"year": "year"}),
                "id_format": "aime2024-h4-{id}",
            },
            _matharena("aime2025", "MathArena/aime_2025"),
            _matharena("aime2026", "MathArena/aime_2026"),
        ),
    },
    "hmmt": {
        "grader": "math_verify",
        "description": "HMMT February 2024 -> 2025; LaTeX answers",
        # Tournament days: 2024-02-17 and 2025-02-15.
        "released": (dt.date(2024, 2, 17), dt.date(2025, 2, 15)),
        "hf": (
            _matharena("hmmt_feb2024", "MathArena/hmmt_feb_2024"),
            _matharena("hmmt_feb2025", "MathArena/hmmt_feb_2025"),
        ),
    },
}
BUILTIN_COUNT = 30
_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*suite[ \t]*\]\]", re.MULTILINE)


def builtin_suite(name: str, data_dir: Path | None = None) -> SuiteSpec:
    """A built-in suite's definition: local files in `data_dir`, else its HF defaults."""
    if name not in _BUILTIN:
        raise InputError(f"unknown built-in suite {name!r}; built in: {', '.join(_BUILTIN)}")
    entry = _BUILTIN[name]
    forms = []
    for index, hf in enumerate(entry["hf"]):
        common = {"count": BUILTIN_COUNT, "released": entry["released"][index]}
        if data_dir is None:
            forms.append({**hf, **common})
        else:
            local = Path(data_dir) / _LOCAL_FILES[name][index]
            forms.append({"name": hf["name"], "path": local, **common})
    return SuiteSpec.model_validate(
        {
            "name": name,
            "grader": entry["grader"],
            "description": entry["description"],
            "forms": forms,
        }
    )


def builtin_suites(data_dir: Path | None = None) -> dict[str, SuiteSpec]:
    """All built-in suites by name (HF defaults, or local files when `data_dir` is given)."""
    return {name: builtin_suite(name, data_dir) for name in _BUILTIN}


# -- suites files ------------------------------------------------------------------------


def read_suites_file(path: Path) -> dict[str, SuiteSpec]:
    """Parse and validate a suites TOML file (`[[suite]]` tables) into specs by name."""
    text = _read_text(path)
    data = _parse_toml(text, path)
    unknown = sorted(set(data) - {"suite"})
    if unknown:
        raise InputError(
            f"unknown table(s) {', '.join(unknown)}; expected [[suite]]",
            path=str(path),
            field=unknown[0],
        )
    entries = data.get("suite", [])
    if not isinstance(entries, list):
        raise InputError("'suite' must be an array of tables ([[suite]])", path=str(path))
    # tomllib gives no positions, so point errors at each entry's [[suite]] header.
    headers = [text.count("\n", 0, m.start()) + 1 for m in _HEADER.finditer(text)]
    specs: dict[str, SuiteSpec] = {}
    for index, entry in enumerate(entries, start=1):
        line = headers[index - 1] if len(headers) == len(entries) else None
        spec = suite_spec(entry, label=str(path), index=index, line=line)
        if spec.name in specs:
            raise InputError(
                f"[[suite]] #{index}: duplicate suite name {spec.name!r}",
                path=str(path),
                line=line,
                field="name",
            )
        specs[spec.name] = spec
    return specs


def suite_spec(
    entry: Any, *, label: str = "<suite>", index: int | None = None, line: int | None = None
) -> SuiteSpec:
    """Validate one suite table; errors name the entry and the offending field."""
    where = "[[suite]]" + (f" #{index}" if index is not None else "")
    if not isinstance(entry, Mapping):
        raise InputError(f"{where}: must be a table", path=label, line=line)
    name = entry.get("name")
    if isinstance(name, str):
        where += f" ({name!r})"
    try:
        return SuiteSpec.model_validate(entry)
    except ValidationError as exc:
        raise _input_error(exc, label, where, line) from exc


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError("file not found", path=str(path)) from exc


def _parse_toml(text: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        raise InputError(f"not valid TOML ({exc})", path=str(path), line=line) from exc


def _input_error(
    exc: ValidationError, label: str, where: str, line: int | None = None
) -> InputError:
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or None
    more = exc.error_count() - 1
    extra = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return InputError(f"{where}: {first['msg']}{extra}", path=label, line=line, field=field)


# -- loading -----------------------------------------------------------------------------


def load_suite(
    name_or_entry: str | Mapping[str, Any],
    data_dir: Path | None = None,
    suites_file: Path | None = None,
    forms: Sequence[str] | None = None,
) -> Suite:
    """Load a suite's forms (all, or the named subset in release order) and check them.

    `name_or_entry` is a suite name (looked up in `suites_file` first, then among the
    built-ins) or one `[[suite]]` table already parsed. Built-ins read their local files
    from `data_dir` when given, else their Hugging Face defaults. Relative paths in a
    suites file are relative to that file (to `data_dir` for a bare table).
    """
    spec, base_dir = _resolve(name_or_entry, data_dir, suites_file)
    sources = spec.forms
    if forms:
        unknown = [f for f in forms if f not in spec.form_names]
        if unknown:
            raise InputError(
                f"--forms: suite {spec.name!r} has no form {unknown[0]!r} "
                f"(forms: {', '.join(spec.form_names)})"
            )
        sources = tuple(f for f in spec.forms if f.name in forms)
    return Suite(
        name=spec.name,
        forms=tuple(load_set(source, base_dir) for source in sources),
        grader=spec.grader,
    )


def _resolve(
    name_or_entry: str | Mapping[str, Any], data_dir: Path | None, suites_file: Path | None
) -> tuple[SuiteSpec, Path | None]:
    if not isinstance(name_or_entry, str):
        label = str(suites_file) if suites_file else "<suite>"
        base = suites_file.parent if suites_file else data_dir
        return suite_spec(name_or_entry, label=label), base
    if suites_file is not None:
        specs = read_suites_file(suites_file)
        if name_or_entry in specs:
            return specs[name_or_entry], suites_file.parent
    if name_or_entry in _BUILTIN:
        return builtin_suite(name_or_entry, data_dir), None
    known = sorted(set(_BUILTIN) | (set(read_suites_file(suites_file)) if suites_file else set()))
    raise InputError(f"unknown suite {name_or_entry!r}; known suites: {', '.join(known)}")
