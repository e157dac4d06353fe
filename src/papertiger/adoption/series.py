"""Monthly counts → shares with Wilson intervals, a ratio between two families, and the lead.

Shares are per month: papers mentioning a family / papers in scope. The ratio A/B compares
mention counts; its interval treats the mentions as two Poisson counts and puts a Wilson
interval on a/(a+b) (conditional binomial). Papers naming both families add to both
counts, which makes the counts positively correlated, so the interval errs on the wide side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Literal

import pandas as pd

from papertiger.adoption.families import Family
from papertiger.adoption.snapshot import Scan
from papertiger.errors import ConfigError

Rule = Literal["point", "interval"]
NAN = float("nan")


def wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for k successes in n trials; (nan, nan) when n == 0."""
    if n <= 0:
        return NAN, NAN
    z = NormalDist().inv_cdf(0.5 + level / 2)
    p, z2 = k / n, z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    low = 0.0 if k == 0 else max(0.0, centre - half)  # exact at the ends, not 1 − 1e-16
    high = 1.0 if k >= n else min(1.0, centre + half)
    return low, high


def ratio_interval(a: int, b: int, level: float = 0.95) -> tuple[float, float, float]:
    """(a/b, low, high): Wilson on a/(a+b), mapped to the ratio; inf where b is 0."""
    if a + b == 0:
        return NAN, NAN, NAN
    low, high = wilson(a, a + b, level)
    return _odds(a / (a + b)), _odds(low), _odds(high)


def _odds(p: float) -> float:
    return math.inf if p >= 1 else p / (1 - p)


@dataclass(frozen=True)
class Lead:
    """Which of the two compared families has stayed ahead, and since when."""

    leader: str
    trailer: str
    since: str  # first month of the current unbroken run of months ahead
    months: int  # length of that run, up to the last month of the series
    settled: bool  # the run is at least `min_months` long
    trailer_last_ahead: str | None  # the trailer's last month ahead before `since`
    rule: str  # the rule, in words

    @property
    def overtook(self) -> bool:
        """The leader was behind at some point before its current run."""
        return self.trailer_last_ahead is not None

    def sentence(self) -> str:
        text = f"{self.leader} has been ahead of {self.trailer} every month since {self.since} ({self.months} months)"
        if self.trailer_last_ahead is not None:
            text += f"; {self.trailer} was last ahead in {self.trailer_last_ahead}"
        return text + ("." if self.settled else "; too short a run to call it settled.")


@dataclass(frozen=True)
class AdoptionReport:
    """Everything `papertiger adoption report` shows; frames are for notebooks too.

    `months`: one row per month × family — month, family, papers (in scope), mentions,
    share, share_low, share_high. `pair`: one row per month for the compared families —
    month, papers, mentions_a, mentions_b, both, ratio, ratio_low, ratio_high, leader.
    """

    source: str
    families: tuple[Family, ...]
    categories: tuple[str, ...]
    primary_only: bool
    months: pd.DataFrame
    pair: pd.DataFrame | None
    compare: tuple[str, str] | None
    lead: Lead | None
    records: int
    in_scope: int
    malformed: int
    problems: tuple[str, ...]
    rule: str
    level: float = 0.95
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def title(self) -> str:
        names = (
            " vs ".join(self.compare) if self.compare else ", ".join(f.name for f in self.families)
        )
        return f"Model families named in arXiv papers: {names}"


def adoption_series(  # noqa: PLR0913 - options of one analysis
    scan: Scan,
    *,
    compare: tuple[str, str] | None = None,
    since: str | None = None,
    until: str | None = None,
    rule: Rule = "point",
    min_months: int = 3,
    level: float = 0.95,
) -> AdoptionReport:
    """The monthly series of a scan. `since`/`until` are inclusive months "YYYY-MM"."""
    names = [f.name for f in scan.families]
    pair = _pair_indices(names, compare)
    months = _month_range(scan, _month_arg(since, "--since"), _month_arg(until, "--until"))
    totals, counts, both = _aggregate(scan, months, pair)
    rows = []
    for month in months:
        for index, name in enumerate(names):
            k, n = counts[month][index], totals[month]
            low, high = wilson(k, n, level)
            rows.append((month, name, n, k, k / n if n else NAN, low, high))
    frame = pd.DataFrame(
        rows, columns=["month", "family", "papers", "mentions", "share", "share_low", "share_high"]
    )
    pair_frame, lead, rule_text = None, None, _rule_text(rule, level, min_months)
    if pair is not None:
        pair_frame = _pair_frame(months, totals, counts, both, pair, names, rule, level)
        lead = find_lead(pair_frame, names[pair[0]], names[pair[1]], rule, min_months, rule_text)
    return AdoptionReport(
        source=scan.path,
        families=scan.families,
        categories=scan.categories,
        primary_only=scan.primary_only,
        months=frame,
        pair=pair_frame,
        compare=(names[pair[0]], names[pair[1]]) if pair is not None else None,
        lead=lead,
        records=scan.records,
        in_scope=scan.in_scope,
        malformed=scan.malformed,
        problems=tuple(scan.describe(p) for p in scan.problems),
        rule=rule_text,
        level=level,
        notes=_notes(scan, level),
    )


def _month_arg(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    text = value.strip()[:7]
    if (
        len(text) != 7
        or text[4] != "-"
        or not (text[:4] + text[5:]).isdigit()
        or not 1 <= int(text[5:]) <= 12
    ):
        raise ConfigError(f"{option}: expected a month YYYY-MM, got {value!r}")
    return text


def _pair_indices(names: list[str], compare: tuple[str, str] | None) -> tuple[int, int] | None:
    if compare is None:
        return (0, 1) if len(names) >= 2 else None
    folded = [n.casefold() for n in names]
    picked = []
    for name in compare:
        if name.casefold() not in folded:
            raise ConfigError(f"--compare: no family {name!r} (families: {', '.join(names)})")
        picked.append(folded.index(name.casefold()))
    if picked[0] == picked[1]:
        raise ConfigError("--compare needs two different families")
    return picked[0], picked[1]


def _month_range(scan: Scan, since: str | None, until: str | None) -> list[str]:
    present = sorted(
        {
            m
            for m, _ in scan.tally
            if (since is None or m >= since) and (until is None or m <= until)
        }
    )
    if not present:
        raise ConfigError(
            f"{scan.path}: no papers in {', '.join(scan.categories)} in the chosen months"
        )
    year, month = int(present[0][:4]), int(present[0][5:])
    out = []
    while (text := f"{year:04d}-{month:02d}") <= present[-1]:
        out.append(text)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _aggregate(
    scan: Scan, months: list[str], pair: tuple[int, int] | None
) -> tuple[dict[str, int], dict[str, list[int]], dict[str, int]]:
    totals = dict.fromkeys(months, 0)
    counts = {m: [0] * len(scan.families) for m in months}
    both = dict.fromkeys(months, 0)
    for (month, found), n in scan.tally.items():
        if month not in totals:
            continue
        totals[month] += n
        for index in found:
            counts[month][index] += n
        if pair is not None and pair[0] in found and pair[1] in found:
            both[month] += n
    return totals, counts, both


def _pair_frame(  # noqa: PLR0913
    months: list[str],
    totals: dict[str, int],
    counts: dict[str, list[int]],
    both: dict[str, int],
    pair: tuple[int, int],
    names: list[str],
    rule: Rule,
    level: float,
) -> pd.DataFrame:
    rows = []
    for month in months:
        a, b = counts[month][pair[0]], counts[month][pair[1]]
        ratio, low, high = ratio_interval(a, b, level)
        rows.append((month, totals[month], a, b, both[month], ratio, low, high))
    frame = pd.DataFrame(
        rows,
        columns=[
            "month",
            "papers",
            "mentions_a",
            "mentions_b",
            "both",
            "ratio",
            "ratio_low",
            "ratio_high",
        ],
    )
    ahead_a, ahead_b = _ahead(frame, rule)
    frame["leader"] = [
        names[pair[0]] if x else names[pair[1]] if y else ""
        for x, y in zip(ahead_a, ahead_b, strict=True)
    ]
    return frame


def _ahead(frame: pd.DataFrame, rule: Rule) -> tuple[list[bool], list[bool]]:
    """Per month: is A ahead, is B ahead — by the point counts or by the interval."""
    if rule == "point":
        a, b = frame["mentions_a"], frame["mentions_b"]
        return (a > b).tolist(), (b > a).tolist()
    return (frame["ratio_low"] > 1).tolist(), (frame["ratio_high"] < 1).tolist()


def find_lead(  # noqa: PLR0913
    pair: pd.DataFrame, a: str, b: str, rule: Rule, min_months: int, rule_text: str = ""
) -> Lead | None:
    """The family ahead in the last month, and the first month of its unbroken run to the end.

    None when neither is ahead in the last month of the series.
    """
    ahead_a, ahead_b = _ahead(pair, rule)
    months = pair["month"].tolist()
    if not months or not (ahead_a[-1] or ahead_b[-1]):
        return None
    leads, trails = (ahead_a, ahead_b) if ahead_a[-1] else (ahead_b, ahead_a)
    start = len(months) - 1
    while start > 0 and leads[start - 1]:
        start -= 1
    behind = [m for m, t in zip(months[:start], trails[:start], strict=True) if t]
    leader, trailer = (a, b) if ahead_a[-1] else (b, a)
    run = len(months) - start
    return Lead(
        leader,
        trailer,
        months[start],
        run,
        run >= min_months,
        behind[-1] if behind else None,
        rule_text or rule,
    )


def _rule_text(rule: Rule, level: float, min_months: int) -> str:
    if rule == "point":
        ahead = "more in-scope papers that month name it than the other (a tie is nobody ahead)"
    else:
        ahead = f"the {level:.0%} interval of the mention ratio lies wholly on its side of 1"
    return (
        f"A family is ahead in a month when {ahead}. 'Ahead since M' means ahead in M and in "
        f"every later month of the series, without a break; a run of at least {min_months} "
        "months counts as settled."
    )


def _notes(scan: Scan, level: float) -> tuple[str, ...]:
    scope = "primary category" if scan.primary_only else "any listed category (cross-lists count)"
    notes = [
        f"Papers in scope: {', '.join(scan.categories)} by {scope}; dated by the month of their first version.",
        "A paper counts once per family however often it names it; a paper naming both compared families counts for both.",
        f"Shares have {level:.0%} Wilson intervals; the ratio's interval is a Wilson interval on a/(a+b), wide-side when papers name both.",
        "The last month may be incomplete if the data was taken mid-month; shares are unaffected, counts are not.",
    ]
    if scan.malformed:
        notes.append(f"{scan.malformed} malformed record(s) skipped.")
    return tuple(notes)
