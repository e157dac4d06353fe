"""Importers: other tools' per-sample logs -> neutral `ImportedSample` records.

Readers for lm-evaluation-harness, Inspect AI, lighteval, MathArena and hand-kept CSV
tables; each streams one file and raises `InputError` naming the file, line or row, and
field when it is not what the tool writes. Mapping records onto attempts is done above.

    for sample in read("inspect", "logs/run.eval"):
        print(sample.item_key, sample.sample_index, sample.correct)
"""

from papertiger.importers.records import TOOLS, ImportedSample, Reader, Tool
from papertiger.importers.registry import (
    READERS,
    find_files,
    guess_tool,
    read,
    read_all,
    reader,
)
from papertiger.importers.table import COLUMNS

__all__ = [
    "COLUMNS",
    "READERS",
    "TOOLS",
    "ImportedSample",
    "Reader",
    "Tool",
    "find_files",
    "guess_tool",
    "read",
    "read_all",
    "reader",
]
