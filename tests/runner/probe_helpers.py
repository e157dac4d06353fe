"""Helpers for the memorisation-probe tests: a small two-form suite (an old form and a fresh
one, a second wording on some items), a catalogue of two models on the loopback server
(`recaller` memorised the old form, `honest` did not) and the server's memory of them."""

from __future__ import annotations

import json
from pathlib import Path

FORMS = (("demo2024", "2024-02-01"), ("demo2025", "2025-02-01"))
ITEMS = 6
_NOUNS = ("lattice", "polygon", "sequence", "tournament", "necklace", "staircase",
          "matrix", "triangle", "labyrinth", "garden", "circle", "permutation")
_VERBS = ("colours", "partitions", "visits", "arranges", "folds", "tiles")


def problem_text(year: int, i: int, alt: bool = False) -> str:
    noun, other = _NOUNS[(i + year) % len(_NOUNS)], _NOUNS[(3 * i + year + 5) % len(_NOUNS)]
    verb = _VERBS[(i + year) % len(_VERBS)]
    lead = "Consider" if not alt else "Suppose we are given"
    return (
        f"{lead} a {noun} of ${i + 7}$ cells. Ada {verb} each {other} of the {noun} so that "
        f"no two neighbours agree, and $T_{{{year}}}$ counts the ways to do so. Beatrice then "
        f"removes ${i + 2}$ cells at random from the {other}, writes down what remains, "
        f"and repeats the whole procedure until the {noun} of year {year} is empty. "
        f"Find the remainder when $T_{{{year}}} + {i}$ is divided by $1000$."
    )


def answer(year: int, i: int) -> str:
    return str((year * 13 + i * 101) % 1000)


def write_suite(tmp_path: Path, alt_items: tuple[int, ...] = (0, 1)) -> Path:
    """JSONL files of the two forms and a suites TOML naming them; returns the TOML."""
    folder = tmp_path / "probe-data"
    folder.mkdir()
    lines = ['[[suite]]', 'name = "demo"', 'grader = "integer"']
    for name, released in FORMS:
        year = int(name[-4:])
        with (folder / f"{name}.jsonl").open("w") as handle:
            for i in range(ITEMS):
                row = {"id": f"{name}-{i + 1:02d}", "problem": problem_text(year, i),
                       "answer": answer(year, i)}
                if i in alt_items:
                    row["problem_alt"] = problem_text(year, i, alt=True)
                handle.write(json.dumps(row) + "\n")
        lines += ["[[suite.form]]", f'name = "{name}"', f'path = "probe-data/{name}.jsonl"',
                  f"count = {ITEMS}", f"released = {released}"]
    path = tmp_path / "suites.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def memorised_old() -> dict[str, str]:
    """The old form's official wording, each followed by its answer (what `recaller` knows)."""
    return {problem_text(2024, i): f"\n\nThe answer is $\\boxed{{{answer(2024, i)}}}$."
            for i in range(ITEMS)}


def write_models(path: Path, base_url: str, cutoff: str = "2024-06-01") -> Path:
    """`recaller` and `honest` on one endpoint, both trained before the fresh form."""
    lines = []
    for name, group in (("recaller", "CN"), ("honest", "US")):
        lines += ["[[model]]", f'name = "{name}"', f'base_url = "{base_url}"',
                  f'model = "{name}-endpoint"', 'api_key_env = "PAPERTIGER_TEST_KEY"',
                  f'group = "{group}"', f"training_cutoff = {cutoff}", "price_in = 1.0",
                  "price_out = 2.0", "timeout_s = 5.0", ""]
    path.write_text("\n".join(lines))
    return path


SERVER = {"memorised": memorised_old(), "memorise_models": ("recaller-endpoint",)}
