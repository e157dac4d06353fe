"""Synthetic arXiv records whose family mentions are known by construction.

Each record's expected families come from the phrases put into it, never from running the
matcher, so counts from the reader can be checked exactly. Near-misses ("llamas",
"Ollama", "TinyLlama", "LlamaIndex", "Qwenzhou", a mention only in `comments`, a mention in
an out-of-scope paper) are mixed in and must not count.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from papertiger.adoption import Family, parse_family
from papertiger.adoption.records import rfc2822_day

FAMILY_SPECS = ("LLaMA=llama,llama2,llama3,llama 3", "Qwen=qwen,qwen2,qwen2.5,qwq")
FAMILIES: list[Family] = [parse_family(s) for s in FAMILY_SPECS]

LLAMA = (
    "We fine-tune LLaMA-2 7B",
    "built on Llama 3.1 8B",
    "using llama3 as a judge",
    "our (LLaMA) baseline",
    "Code Llama and",
    "Meta's Llama\n  3 models",
    "LLAMA.",
    "llama_2-chat checkpoints",
)
QWEN = (
    "with Qwen-VL as the vision backbone",
    "Qwen2.5-7B-Instruct",
    "QwQ-32B reasoning traces",
    "the Qwen/Qwen2-7B checkpoint",
    "QWEN",
    "qwen2.5-math",
)
NEAR_MISSES = (
    "Unlike llamas and alpacas",
    "served by Ollama locally",
    "TinyLlama is small",
    "indexed with LlamaIndex",
    "data from Qwenzhou province",
    "a Llamaesque design",
    "qwen25 is not a model name",
)
FILLER = [
    "language",
    "models",
    "are",
    "evaluated",
    "on",
    "reasoning",
    "benchmarks",
    "with",
    "careful",
    "ablations",
    "and",
    "we",
    "report",
    "accuracy",
    "under",
    "several",
    "prompting",
    "strategies",
    "across",
    "tasks",
]
IN_SCOPE = ("cs.CL", "cs.LG", "cs.AI", "cs.CL cs.AI", "cs.CV cs.CL")  # the last: cross-list
OUT_OF_SCOPE = ("math.CO", "hep-ph", "cs.CV", "stat.ME")
MONTHS = [f"{y}-{m:02d}" for y in (2023, 2024) for m in range(1, 13)]


@dataclass
class Record:
    """One synthetic paper and what it should count as."""

    id: str
    title: str
    abstract: str
    categories: str
    created: dt.date
    comments: str | None = None
    families: frozenset[str] = field(default_factory=frozenset)
    deleted: bool = False

    @property
    def month(self) -> str:
        return f"{self.created.year:04d}-{self.created.month:02d}"

    def in_scope(self, primary_only: bool = False) -> bool:
        cats = self.categories.split()
        wanted = {"cs.CL", "cs.LG", "cs.AI"}
        return cats[0] in wanted if primary_only else bool(wanted & set(cats))

    def snapshot(self) -> dict[str, object]:
        """The record as the Kaggle snapshot has it (same keys, same order)."""
        later = self.created + dt.timedelta(days=400)  # a v2 much later: must not move the paper
        return {
            "id": self.id,
            "submitter": "Ann Author",
            "authors": "Ann Author, Bo Writer",
            "title": self.title,
            "comments": self.comments,
            "journal-ref": None,
            "doi": None,
            "report-no": None,
            "categories": self.categories,
            "license": None,
            "abstract": self.abstract,
            "versions": [
                {
                    "version": "v1",
                    "created": rfc2822_day(self.created).replace("00:00:00", "17:03:11"),
                },
                {"version": "v2", "created": rfc2822_day(later)},
            ],
            "update_date": later.isoformat(),
            "authors_parsed": [["Author", "Ann", ""], ["Writer", "Bo", ""]],
        }

    def oai_xml(self) -> str:
        """The record as arXiv's OAI-PMH `arXiv` metadata format has it."""
        if self.deleted:
            return (
                f'<record><header status="deleted"><identifier>oai:arXiv.org:{self.id}</identifier>'
                "<datestamp>2024-06-01</datestamp></header></record>"
            )
        comments = f"<comments>{escape(self.comments)}</comments>" if self.comments else ""
        return (
            f"<record><header><identifier>oai:arXiv.org:{self.id}</identifier>"
            f"<datestamp>2024-06-01</datestamp><setSpec>cs</setSpec></header><metadata>"
            '<arXiv xmlns="http://arxiv.org/OAI/arXiv/">'
            f"<id>{self.id}</id><created>{self.created.isoformat()}</created>"
            "<updated>2025-01-02</updated><authors>"
            "<author><keyname>Author</keyname><forenames>Ann</forenames></author>"
            "<author><keyname>Writer</keyname><forenames>Bo</forenames></author></authors>"
            f"<title>{escape(self.title)}</title><categories>{self.categories}</categories>"
            f"{comments}<abstract>{escape(self.abstract)}</abstract></arXiv></metadata></record>"
        )


def make_records(n: int = 3000, seed: int = 14) -> list[Record]:
    """`n` papers over 2023-2024; LLaMA fades and Qwen rises, so Qwen overtakes."""
    rng = random.Random(seed)
    records = []
    for i in range(n):
        month = MONTHS[i % len(MONTHS)]
        t = MONTHS.index(month) / (len(MONTHS) - 1)  # 0 → 1 over the two years
        created = dt.date(int(month[:4]), int(month[5:]), 1 + i % 28)
        words = rng.choices(FILLER, k=40)
        families: set[str] = set()
        if rng.random() < 0.30 - 0.15 * t:
            words.insert(rng.randrange(len(words)), rng.choice(LLAMA))
            families.add("LLaMA")
        if rng.random() < 0.05 + 0.30 * t:
            words.insert(rng.randrange(len(words)), rng.choice(QWEN))
            families.add("Qwen")
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words)), rng.choice(NEAR_MISSES))
        categories = rng.choice(IN_SCOPE) if rng.random() < 0.7 else rng.choice(OUT_OF_SCOPE)
        abstract = "  " + " ".join(words) + ".\n"
        title = "A study of prompting"
        if families and rng.random() < 0.2:  # sometimes only the title names it
            title, abstract = f"{abstract.strip()}", "  We study this.\n"
        comments = "code for Llama and Qwen at github" if rng.random() < 0.1 else None
        records.append(
            Record(
                f"{month[2:4]}{month[5:]}.{i:05d}",
                title,
                abstract,
                categories,
                created,
                comments,
                frozenset(families),
            )
        )
    return records


def expected(records: list[Record], primary_only: bool = False) -> dict[str, Counter[str]]:
    """Per month: papers in scope, and papers naming LLaMA, Qwen, both."""
    out: dict[str, Counter[str]] = {}
    for r in records:
        if r.deleted or not r.in_scope(primary_only):
            continue
        c = out.setdefault(r.month, Counter())
        c["papers"] += 1
        for name in r.families:
            c[name] += 1
        if len(r.families) == 2:
            c["both"] += 1
    return out


BAD_LINES = (
    (b'{"id":"2401.99901","title":"cut off","categories":"cs.CL","abstract":"Qwen', None),
    (b'{"id":"2401.99902","title":"no versions","categories":"cs.CL","abstract":"x"}', "versions"),
    (
        b'{"id":"2401.99903","title":"x","categories":"cs.LG","abstract":"x","versions":[]}',
        "versions",
    ),
    (
        b'{"id":"2401.99904","title":"x","categories":"cs.AI","abstract":"x","versions":[{"version":"v1","created":"yesterday"}]}',
        "versions",
    ),
    (
        b'{"id":"2401.99905","title":null,"categories":"cs.CL","abstract":"x","versions":[{"version":"v1","created":"Mon, 1 Jan 2024 00:00:00 GMT"}]}',
        "title",
    ),
    (b"this is not json at all", None),
    (b'["cs.CL", "an array"]', None),
)


def write_snapshot(
    path: Path, records: list[Record], *, bad: bool = False, spaced: bool = False
) -> list[tuple[int, str | None]]:
    """Write JSON Lines (gzip when the name ends in .gz); returns (line, field) of bad lines."""
    separators = (", ", ": ") if spaced else (",", ":")
    lines = [
        json.dumps(r.snapshot(), separators=separators).encode() for r in records if not r.deleted
    ]
    problems = []
    if bad:
        lines.insert(50, b"")  # blank lines are skipped silently
        for k, (line, name) in enumerate(BAD_LINES):
            at = 100 + 250 * k
            lines.insert(at, line)
            problems.append((at + 1, name))
    data = b"\n".join(lines) + b"\n"
    if path.suffix == ".gz":
        data = gzip.compress(data)
    path.write_bytes(data)
    return problems


def tally_by_month(
    tally: Counter[tuple[str, tuple[int, ...]]], families: list[Family]
) -> dict[str, Counter[str]]:
    """A scan's tally in the shape `expected` returns."""
    out: dict[str, Counter[str]] = {}
    for (month, found), n in tally.items():
        c = out.setdefault(month, Counter())
        c["papers"] += n
        for i in found:
            c[families[i].name] += n
        if len(found) == 2:
            c["both"] += n
    return out
