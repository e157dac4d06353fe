"""What a section builder receives, and the registry `build_report` walks."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from papertiger.analysis.attempts import AttemptSource, SelectedAttempts
    from papertiger.analysis.counts import ItemCounts
    from papertiger.analysis.results import ShrinkageSection
    from papertiger.analysis.shrinkage import ReportOptions
    from papertiger.published import ScoreTable

__all__ = ["BUILDER_MODULES", "Builder", "SectionInput", "builders", "register_builder"]


@dataclass(frozen=True)
class SectionInput:
    """Everything a section may read. Attempt sources set `selected` and `counts` (one
    suite, one condition per model) and `source`/`holdings` (to look at other conditions,
    e.g. the prompt experiment); score sources set `table` and, with several harnesses,
    `tables`. `shrinkage` holds the pairs of forms already analysed."""

    options: ReportOptions
    shrinkage: tuple[ShrinkageSection, ...] = ()
    selected: SelectedAttempts | None = None
    counts: ItemCounts | None = None
    source: AttemptSource | None = None
    holdings: pd.DataFrame | None = None
    table: ScoreTable | None = None
    tables: tuple[ScoreTable, ...] = ()

    @property
    def item_level(self) -> bool:
        """Whether item-level attempts are available."""
        return self.counts is not None


Builder = Callable[[SectionInput], Any]
"""Returns a typed section result, a `Skipped` (applies but cannot be computed), or None
(does not apply to this source: nothing is shown)."""

# Modules whose import registers builders, in the order their sections appear.
BUILDER_MODULES: tuple[str, ...] = (
    "papertiger.analysis.sections.equating",
    "papertiger.analysis.sections.reference",
    "papertiger.analysis.sections.harnesses",
    "papertiger.analysis.sections.humans",
    "papertiger.analysis.sections.elicitation",
    "papertiger.analysis.sections.prompts",
    "papertiger.analysis.sections.probe",
    "papertiger.analysis.sections.tokenomics",
    "papertiger.analysis.sections.speed",
    "papertiger.analysis.sections.endpoints",
    "papertiger.analysis.sections.browser",
)

_BUILDERS: dict[str, Builder] = {}


def register_builder(name: str, builder: Builder) -> None:
    """Add a section builder (modules in BUILDER_MODULES call this on import)."""
    _BUILDERS[name] = builder


def builders() -> list[tuple[str, Builder]]:
    """Every registered builder, in BUILDER_MODULES order."""
    for module in BUILDER_MODULES:
        importlib.import_module(module)
    rank = {m: i for i, m in enumerate(BUILDER_MODULES)}  # sections import each other
    return sorted(_BUILDERS.items(), key=lambda kv: rank.get(kv[1].__module__, len(rank)))
