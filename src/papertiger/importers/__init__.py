"""Importers: other tools' per-sample logs -> neutral records -> attempts in a results store.

Readers for lm-evaluation-harness, Inspect AI, lighteval, MathArena and hand-kept CSV
tables; each streams one file and raises `InputError` naming the file, line or row, and
field when it is not what the tool writes. `import_files` then matches the records to a
suite's items (`matching`), maps them to attempts with the tool's own grade and
papertiger's (`mapping`, `runinfo`, `batch`) and stores them, one transaction per file.

    for sample in read("inspect", "logs/run.eval"):
        print(sample.item_key, sample.sample_index, sample.correct)
    summary = import_files(ImportSpec("inspect", (Path("logs/"),), Path("results.db")))
"""

from papertiger.importers.batch import PreparedFile, Unmatched, prepare_file
from papertiger.importers.ingest import (
    DEFAULT_SUITE,
    FileImport,
    ImportSpec,
    ImportSummary,
    import_files,
)
from papertiger.importers.mapping import (
    NOT_RECORDED,
    SOURCE_GRADER_PREFIX,
    AttemptContext,
    own_grade,
    prompt_of,
    source_grade,
    to_attempt,
)
from papertiger.importers.matching import (
    ItemMap,
    ItemMatcher,
    Match,
    MatchMethod,
    Miss,
    normalise_text,
)
from papertiger.importers.records import TOOLS, ImportedSample, Reader, Tool
from papertiger.importers.registry import (
    READERS,
    find_files,
    guess_tool,
    read,
    read_all,
    reader,
)
from papertiger.importers.runinfo import RunInfo, run_info, sample_source
from papertiger.importers.table import COLUMNS

__all__ = [
    "COLUMNS",
    "DEFAULT_SUITE",
    "NOT_RECORDED",
    "READERS",
    "SOURCE_GRADER_PREFIX",
    "TOOLS",
    "AttemptContext",
    "FileImport",
    "ImportSpec",
    "ImportSummary",
    "ImportedSample",
    "ItemMap",
    "ItemMatcher",
    "Match",
    "MatchMethod",
    "Miss",
    "PreparedFile",
    "Reader",
    "RunInfo",
    "Tool",
    "Unmatched",
    "find_files",
    "guess_tool",
    "import_files",
    "normalise_text",
    "own_grade",
    "prepare_file",
    "prompt_of",
    "read",
    "read_all",
    "reader",
    "run_info",
    "sample_source",
    "source_grade",
    "to_attempt",
]
