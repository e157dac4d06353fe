"""The multiverse reshaped once for every renderer: one row per metric × subset, with
each test's two-sided and one-sided p-value (`less`: the first group falls more)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

TOO_FEW = "(too few models)"
SIDES = ("two-sided", "less")


@dataclass(frozen=True)
class GridRow:
    """One metric × subset: sizes, difference of means, p-values by (test, sidedness)."""

    metric: str
    subset: str
    n_a: int
    n_b: int
    difference: float
    p: dict[tuple[str, str], float] = field(default_factory=dict)

    @property
    def too_few(self) -> bool:
        """No test could run in this subset."""
        return not self.p


@dataclass(frozen=True)
class MultiverseGrid:
    """Tests in order of first appearance, and the rows."""

    tests: tuple[str, ...]
    rows: tuple[GridRow, ...]


def multiverse_grid(verse: pd.DataFrame) -> MultiverseGrid:
    """Pivot the long multiverse frame (metric, subset, test, alternative, p_value, ...)."""
    rows: dict[tuple[str, str], GridRow] = {}
    tests: list[str] = []
    for rec in verse.to_dict("records"):
        key = (str(rec["metric"]), str(rec["subset"]))
        row = rows.get(key)
        if row is None:
            row = rows[key] = GridRow(
                key[0], key[1], int(rec["n_a"]), int(rec["n_b"]), float(rec["difference"])
            )
        test = str(rec["test"])
        if test == TOO_FEW:
            continue
        if test not in tests:
            tests.append(test)
        row.p[(test, str(rec["alternative"]))] = float(rec["p_value"])
    return MultiverseGrid(tuple(tests), tuple(rows.values()))
