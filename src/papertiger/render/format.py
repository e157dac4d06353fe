"""How numbers read in every rendered table: real minus signs, signed falls, p-values,
intervals, sidedness in words. Plain functions of values, shared by HTML and sections."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from papertiger.analysis.results import Interval

MINUS = "\u2212"
DASH = "\u2014"


def number(value: Any, digits: int = 1) -> str:
    """Plain number with a real minus sign; an em dash for missing values."""
    if value is None or pd.isna(value):
        return DASH
    return f"{float(value):.{digits}f}".replace("-", MINUS)


def signed(value: Any, digits: int = 1) -> str:
    """Number with an explicit sign ('+0.3', '−12.3'): used for falls and differences."""
    if value is None or pd.isna(value):
        return DASH
    return f"{float(value):+.{digits}f}".replace("-", MINUS)


def p_value(p: Any) -> str:
    """p-value to three decimals, or '< 0.001'."""
    if p is None or pd.isna(p):
        return DASH
    return "< 0.001" if float(p) < 0.001 else f"{float(p):.3f}"


def interval(iv: Interval | None, digits: int = 1) -> str:
    """'−10.5 [95% CI −23.4, +2.4]'."""
    if iv is None:
        return DASH
    level = f"{iv.level:.0%}".replace("%", "% CI")
    return f"{signed(iv.estimate, digits)} [{level} {signed(iv.low, digits)}, {signed(iv.high, digits)}]"


def sidedness(alternative: str, group_a: str = "A", group_b: str = "B", short: bool = False) -> str:
    """Human wording of scipy's `alternative`, applied to A − B."""
    mean = "" if short else "mean "
    if alternative == "less":
        return f"one-sided: {mean}{group_a} < {mean}{group_b}"
    if alternative == "greater":
        return f"one-sided: {mean}{group_a} > {mean}{group_b}"
    return "two-sided" if short else f"two-sided: {mean}{group_a} \u2260 {mean}{group_b}"


def integer(value: Any) -> str:
    return DASH if value is None or pd.isna(value) else str(int(value))


def value(value: Any) -> str:
    """Generic cell: integers with separators, floats to 1 or 3 decimals, text as is."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return DASH
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return str(value)
    if float(value).is_integer():
        return f"{int(value):,}".replace("-", MINUS)
    return number(value, 1 if abs(float(value)) >= 10 else 3)
