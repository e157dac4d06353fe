"""Benchmark adapters: raw sources (local files, Hugging Face) -> checked `Problem`s.

suite = load_suite("aime", data_dir=Path("../shared/data"))   # built-in, local files
suite = load_suite("mine", suites_file=Path("suites.toml"))     # user-defined
"""

from papertiger.benchmarks.loaders import FieldMap, Row, SetSource, load_set, read_rows
from papertiger.benchmarks.suites import (
    SuiteSpec,
    builtin_suite,
    builtin_suites,
    load_suite,
    read_suites_file,
    suite_spec,
)

__all__ = [
    "FieldMap",
    "Row",
    "SetSource",
    "SuiteSpec",
    "builtin_suite",
    "builtin_suites",
    "load_set",
    "load_suite",
    "read_rows",
    "read_suites_file",
    "suite_spec",
]
