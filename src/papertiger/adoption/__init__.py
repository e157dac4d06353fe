"""Adoption in research: how often arXiv papers name one model family against another.

`scan_snapshot` streams arXiv's metadata (the bulk snapshot, or what `harvest` wrote from
OAI-PMH) into monthly counts; `adoption_series` turns them into shares with Wilson
intervals, the ratio between two families and the month from which one has stayed ahead.
"""

from papertiger.adoption.families import (
    Family,
    Matcher,
    by_origin,
    default_families,
    load_families,
    parse_family,
)
from papertiger.adoption.harvest import (
    ARXIV_DELAY,
    ARXIV_OAI,
    HarvestOptions,
    HarvestProgress,
    harvest,
    state_path,
)
from papertiger.adoption.records import Problem
from papertiger.adoption.series import AdoptionReport, Lead, adoption_series, wilson
from papertiger.adoption.snapshot import DEFAULT_CATEGORIES, Scan, scan_snapshot

__all__ = [
    "ARXIV_DELAY",
    "ARXIV_OAI",
    "DEFAULT_CATEGORIES",
    "AdoptionReport",
    "Family",
    "HarvestOptions",
    "HarvestProgress",
    "Lead",
    "Matcher",
    "Problem",
    "Scan",
    "adoption_series",
    "by_origin",
    "default_families",
    "harvest",
    "load_families",
    "parse_family",
    "scan_snapshot",
    "state_path",
    "wilson",
]
