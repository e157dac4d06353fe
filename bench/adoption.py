#!/usr/bin/env python3
"""Snapshot reader speed: `scan_snapshot` over a generated arXiv snapshot of about 1 GB.

The file imitates arXiv's bulk metadata (Kaggle "Cornell-University/arxiv"): the same
fields in the same order, abstracts of 600-1,500 characters (mean record ≈ 1.6 KB, like the
real file's ≈ 1.7 KB), about 25 % of papers in cs.CL / cs.LG / cs.AI (the share in recent
years), a few percent naming LLaMA or Qwen, and near-misses ("llamas", "Ollama").
It is written once into the cache folder and reused.

Target (issue #14): at least 50 MB/s on a 2-core machine, memory flat in the file's size.

    .venv/bin/python bench/adoption.py [--size-mb 1024] [--cache DIR] [--gzip] [--all-in-scope]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

from papertiger.adoption import DEFAULT_CATEGORIES, default_families, scan_snapshot

WORDS = [
    "model",
    "language",
    "training",
    "data",
    "we",
    "propose",
    "method",
    "results",
    "show",
    "performance",
    "task",
    "tasks",
    "learning",
    "neural",
    "network",
    "large",
    "benchmark",
    "evaluation",
    "approach",
    "based",
    "using",
    "fine-tuning",
    "reasoning",
    "inference",
    "attention",
    "transformer",
    "token",
    "tokens",
    "prompt",
    "prompts",
    "alignment",
    "retrieval",
    "generation",
    "robust",
    "efficient",
    "scaling",
    "parameters",
    "baseline",
    "state-of-the-art",
    "experiments",
    "dataset",
    "datasets",
    "analysis",
    "framework",
    "novel",
    "improve",
    "accuracy",
    "problem",
]
MENTIONS = (
    "We fine-tune LLaMA-2 7B on our data.",
    "Experiments on Qwen2.5-7B-Instruct and Llama 3.1 8B show gains.",
    "We use Qwen-VL as the visual backbone.",
    "Our agent runs on a local Ollama server.",
    "Unlike llamas and alpacas, our model is small.",
    "Results with DeepSeek-R1 and QwQ-32B are reported.",
)
OTHER = (
    "hep-ph",
    "math.AP",
    "astro-ph.GA",
    "cond-mat.str-el",
    "quant-ph",
    "math.CO",
    "cs.CV",
    "stat.ME",
)
IN_SCOPE = ("cs.CL", "cs.LG", "cs.AI", "cs.CL cs.AI", "cs.LG stat.ML", "cs.CV cs.LG")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def record(rng: random.Random, index: int, in_scope: float) -> dict[str, object]:
    year, month = rng.randint(2019, 2025), rng.randint(1, 12)
    words = rng.choices(WORDS, k=rng.randint(90, 220))
    if rng.random() < 0.06:
        words.insert(rng.randrange(len(words)), rng.choice(MENTIONS))
    abstract = "  " + " ".join(words).capitalize() + ".\n"
    # the snapshot hard-wraps abstracts at about 80 columns
    abstract = "\n".join(abstract[i : i + 80] for i in range(0, len(abstract), 80))
    created = f"{DAYS[index % 7]}, {rng.randint(1, 28)} {MONTHS[month - 1]} {year} 12:00:00 GMT"
    return {
        "id": f"{year % 100:02d}{month:02d}.{index:05d}",
        "submitter": "A. Author",
        "authors": "A. Author, B. Author and C. Author",
        "title": " ".join(rng.choices(WORDS, k=rng.randint(6, 14))).title(),
        "comments": "12 pages, 4 figures",
        "journal-ref": None,
        "doi": None,
        "report-no": None,
        "categories": rng.choice(IN_SCOPE) if rng.random() < in_scope else rng.choice(OTHER),
        "license": "http://creativecommons.org/licenses/by/4.0/",
        "abstract": abstract,
        "versions": [{"version": "v1", "created": created}],
        "update_date": f"{year}-{month:02d}-28",
        "authors_parsed": [["Author", "A.", ""], ["Author", "B.", ""], ["Author", "C.", ""]],
    }


def generate(path: Path, size: int, in_scope: float, compress: bool) -> None:
    rng = random.Random(14)
    tmp = path.with_name(path.name + ".part")
    opener = gzip.open if compress else open
    written, index = 0, 0
    with opener(tmp, "wb") as out:  # type: ignore[operator]
        while written < size:
            lines = []
            for _ in range(2000):
                index += 1
                lines.append(json.dumps(record(rng, index, in_scope), separators=(",", ":")))
            chunk = ("\n".join(lines) + "\n").encode()
            out.write(chunk)
            written += len(chunk)
    tmp.replace(path)


def rss_mb(field: str = "VmHWM") -> float:
    """This process's resident memory from /proc (VmHWM: the peak so far), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    cache = Path(os.environ.get("TMPDIR", "/tmp")) / "papertiger-bench"
    parser.add_argument("--cache", type=Path, default=cache)
    parser.add_argument("--gzip", action="store_true", help="also write and read a gzip copy")
    parser.add_argument(
        "--all-in-scope", action="store_true", help="every paper in cs.CL (worst case)"
    )
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)  # child: write one file
    args = parser.parse_args()
    share = 1.0 if args.all_in_scope else 0.25
    if args.generate is not None:
        generate(args.generate, args.size_mb * 1_000_000, share, args.generate.suffix == ".gz")
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    stem = f"snapshot-{args.size_mb}mb-{int(share * 100)}pct"
    paths = [args.cache / f"{stem}.jsonl"]
    if args.gzip:
        paths.append(args.cache / f"{stem}.jsonl.gz")
    for path in paths:
        if not path.exists():  # in a child, so this process's peak memory is the scan's own
            print(f"generating {path} ...", file=sys.stderr, flush=True)
            flags = ["--all-in-scope"] if args.all_in_scope else []
            command = [sys.executable, __file__, "--size-mb", str(args.size_mb), *flags]
            subprocess.run([*command, "--generate", str(path)], check=True)
    families = default_families()
    print(f"families: {len(families)} (default set); categories: {', '.join(DEFAULT_CATEGORIES)}")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"resident memory before scanning: {rss_mb('VmRSS'):.0f} MB")
    for path in paths:
        started, cpu = time.perf_counter(), time.process_time()
        scan = scan_snapshot(path, families)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        on_disk = path.stat().st_size / 1e6
        print(
            f"{path.name}: {on_disk:,.0f} MB on disk, {scan.bytes / 1e6:,.0f} MB of JSON, "
            f"{scan.records:,} records ({scan.in_scope:,} in scope) in {seconds:.2f} s "
            f"({cpu:.2f} s CPU): {scan.bytes / 1e6 / seconds:,.0f} MB/s, "
            f"{scan.records / seconds:,.0f} records/s; peak RSS so far {rss_mb():.0f} MB"
        )


if __name__ == "__main__":
    main()
