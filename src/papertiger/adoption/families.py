"""Model families and the rule that decides whether a text mentions one.

The rule, stated once (docs/adoption.md repeats it): matching is case-insensitive; a term
matches where it is not glued to a letter or digit on either side and not preceded by a
backslash (so LaTeX's ``\\phi`` is not Phi). Everything else — hyphen, dot, space, slash,
bracket, underscore, apostrophe — separates words. So the term ``qwen`` finds "Qwen-VL",
"Qwen 2" and "Qwen/Qwen2.5-7B" but not "Qwen2" (glued digit: spell ``qwen2`` out), and
``llama`` finds "LLaMA-2" but not "llamas", "Ollama" or "TinyLlama". A space inside a term
matches any run of whitespace, because arXiv abstracts are hard-wrapped. Qwen-VL counts as
Qwen on purpose: it is Alibaba's Qwen model with a vision encoder.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from papertiger.errors import ConfigError, InputError

# Not after a letter, digit or backslash; not before a letter or digit.
_BEFORE = r"(?<![^\W_])(?<!\\)"
_AFTER = r"(?![^\W_])"
# Bytes → ASCII words: every byte that is not an ASCII letter or digit becomes a space.
_WORDS = bytes(b if chr(b).isascii() and chr(b).isalnum() else 32 for b in range(256)).lower()


@dataclass(frozen=True)
class Family:
    """A model family: a display name and the spelled-out terms that name it."""

    name: str
    terms: tuple[str, ...]
    lab: str = ""
    origin: str = ""

    def pattern(self) -> re.Pattern[str]:
        """One regex for all terms (longest first), to run on lower-cased text."""
        parts = sorted({_term_regex(t) for t in self.terms}, key=lambda p: (-len(p), p))
        return re.compile(f"{_BEFORE}(?:{'|'.join(parts)}){_AFTER}")

    def heads(self) -> frozenset[bytes] | None:
        """First ASCII word of each term: any match has one of them as a whole word of the
        text, so a text without them is rejected without running the regex. None when a
        term starts without an ASCII letter or digit (then the regex always runs)."""
        heads = [words(t.lower())[:1] for t in self.terms]
        return None if not all(heads) else frozenset(h[0] for h in heads)


def words(lowered: str) -> list[bytes]:
    """The ASCII words of lower-cased text; anything else separates them."""
    return lowered.encode().translate(_WORDS).split()


def _term_regex(term: str) -> str:
    return r"\s+".join(re.escape(word) for word in term.lower().split())


@dataclass
class Matcher:
    """Finds which of several families a text mentions; each family counts once."""

    families: Sequence[Family]
    _checks: list[tuple[int, frozenset[bytes] | None, re.Pattern[str]]] = field(init=False)
    _heads: frozenset[bytes] | None = field(init=False)

    def __post_init__(self) -> None:
        self._checks = [(i, f.heads(), f.pattern()) for i, f in enumerate(self.families)]
        heads = [h for _, h, _ in self._checks]
        self._heads = None if None in heads else frozenset(w for h in heads if h for w in h)

    def mentions(self, text: str) -> tuple[int, ...]:
        """Indices of the families `text` mentions, in family order."""
        lowered = text.lower()
        tokens = words(lowered)
        if self._heads is not None and self._heads.isdisjoint(tokens):
            return ()  # the common case: no family's first word anywhere
        present = set(tokens)
        return tuple(
            index
            for index, heads, pattern in self._checks
            if (heads is None or not heads.isdisjoint(present)) and pattern.search(lowered)
        )

    def names(self, text: str) -> list[str]:
        """Names of the families `text` mentions."""
        return [self.families[i].name for i in self.mentions(text)]


def parse_family(spec: str) -> Family:
    """`"LLaMA=llama,llama2,llama 3"` → Family (the form of `--family`)."""
    name, sep, terms = spec.partition("=")
    words = tuple(t.strip() for t in terms.split(",") if t.strip())
    if not sep or not name.strip() or not words:
        raise ConfigError(
            f"--family {spec!r}: expected NAME=term,term,... e.g. 'Qwen=qwen,qwen2,qwen2.5,qwq'"
        )
    return _checked(Family(name.strip(), words), f"--family {spec!r}")


def _checked(family: Family, where: str) -> Family:
    for term in family.terms:
        if not any(ch.isalnum() for ch in term):
            raise ConfigError(f"{where}: term {term!r} has no letter or digit")
    return family


def load_families(path: str | Path) -> list[Family]:
    """Families from a TOML file of `[[family]]` tables (name, terms, optional lab, origin)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=str(path)) from None
    return _families_from_toml(text, str(path))


def default_families() -> list[Family]:
    """The families that ship with papertiger (adoption/data/families.toml)."""
    source = resources.files("papertiger.adoption").joinpath("data/families.toml")
    return _families_from_toml(source.read_text(encoding="utf-8"), "families.toml")


def _families_from_toml(text: str, where: str) -> list[Family]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", path=where) from None
    tables = data.get("family")
    if not isinstance(tables, list) or not tables:
        raise InputError("expected one or more [[family]] tables", path=where, field="family")
    families = [_family_from_table(t, where, i) for i, t in enumerate(tables)]
    unique(families, where)
    return families


def _family_from_table(table: object, where: str, index: int) -> Family:
    label = f"family[{index}]"
    if not isinstance(table, dict):
        raise InputError("expected a table", path=where, field=label)
    name, terms = table.get("name"), table.get("terms")
    if not isinstance(name, str) or not name.strip():
        raise InputError("needs a non-empty string 'name'", path=where, field=f"{label}.name")
    if not isinstance(terms, list) or not terms or not all(isinstance(t, str) for t in terms):
        raise InputError("needs a list of strings 'terms'", path=where, field=f"{label}.terms")
    extra = {k: table.get(k, "") for k in ("lab", "origin")}
    for key, value in extra.items():
        if not isinstance(value, str):
            raise InputError("must be a string", path=where, field=f"{label}.{key}")
    family = Family(name.strip(), tuple(t.strip() for t in terms if t.strip()), **extra)
    try:
        return _checked(family, where)
    except ConfigError as exc:
        raise InputError(str(exc), path=where, field=f"{label}.terms") from None


def unique(families: Iterable[Family], where: str = "families") -> None:
    """Refuse two families with one name (case-insensitive): their counts would merge."""
    seen: set[str] = set()
    for family in families:
        key = family.name.casefold()
        if key in seen:
            raise ConfigError(f"{where}: family {family.name!r} is defined twice")
        seen.add(key)


def by_origin(families: Iterable[Family]) -> list[Family]:
    """Pool families by origin ("Chinese", "Western", ...): a paper counts once per origin."""
    pooled: dict[str, list[str]] = {}
    for family in families:
        pooled.setdefault(family.origin or "unknown", []).extend(family.terms)
    return [
        Family(origin, tuple(dict.fromkeys(terms)), origin=origin)
        for origin, terms in pooled.items()
    ]
