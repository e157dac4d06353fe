"""Helpers for runner tests: a synthetic three-form AIME-format suite (30 items a form), a
model catalogue pointing at the loopback server, and the server's answer map."""

from __future__ import annotations

import json
from pathlib import Path

from papertiger.prompts import get_template, render
from papertiger.schema import Problem


def _problems(year: int) -> list[dict[str, object]]:
    rows = []
    for i in range(30):
        exam, number = ("I", i + 1) if i < 15 else ("II", i - 14)
        rows.append({
            "id": f"aime{year}-{exam}-{number:02d}",
            "year": year,
            "exam": exam,
            "number": number,
            "problem": f"Synthetic {year} problem {exam}-{number}: find {{x}} with $x^2 = {i}$.",
            "answer": str((year * 7 + i * 37) % 1000),
            "released": f"{year}-02-0{1 if exam == 'I' else 7}",
        })
    return rows


YEARS = (2024, 2025, 2026)


def make_data_dir(tmp_path: Path) -> Path:
    """Write aime_2024/2025/2026.jsonl (30 synthetic items each) under tmp_path."""
    folder = tmp_path / "data"
    folder.mkdir()
    for year in YEARS:
        with (folder / f"aime_{year}.jsonl").open("w") as handle:
            for row in _problems(year):
                handle.write(json.dumps(row) + "\n")
    return folder


def answers_for(data_dir: Path, prompt: str = "boxed") -> dict[str, str]:
    """The server's answer map: rendered prompt text → gold answer."""
    template = get_template(prompt, "integer")
    out = {}
    for year in YEARS:
        for line in (data_dir / f"aime_{year}.jsonl").read_text().splitlines():
            row = json.loads(line)
            problem = Problem(benchmark=f"aime{year}", item_id=row["id"], problem=row["problem"],
                              answer=row["answer"])
            out[render(template, problem)[0]["content"]] = row["answer"]
    return out


def write_models(
    path: Path, base_url: str, per_model: dict[str, dict[str, object]] | None = None, **extra: object
) -> Path:
    """Two models (one per group) on the same endpoint; `per_model` adds fields to one."""
    lines = []
    for name, group, lab in (("fake-cn", "CN", "Lab A"), ("fake-us", "US", "Lab B")):
        lines += [
            "[[model]]",
            f'name = "{name}"',
            f'base_url = "{base_url}"',
            f'model = "{name}-endpoint"',
            'api_key_env = "PAPERTIGER_TEST_KEY"',
            f'group = "{group}"',
            f'lab = "{lab}"',
            "price_in = 1.0",
            "price_out = 2.0",
            "timeout_s = 5.0",
        ]
        fields = {**extra, **(per_model or {}).get(name, {})}
        lines += [f"{k} = {_toml(v)}" for k, v in fields.items()]
        lines.append("")
    path.write_text("\n".join(lines))
    return path


def _toml(value: object) -> str:
    """A TOML value: dates bare (so they parse as dates), everything else as JSON."""
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return value
    return json.dumps(value)
