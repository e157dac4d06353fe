"""The essay's grouping of models by the origin of their lab, with accepted spellings."""

from __future__ import annotations

KNOWN_GROUPS = ("Chinese", "Western")

_ALIASES = {
    "chinese": "Chinese",
    "china": "Chinese",
    "cn": "Chinese",
    "prc": "Chinese",
    "western": "Western",
    "west": "Western",
    "us": "Western",
    "usa": "Western",
    "american": "Western",
    "eu": "Western",
    "europe": "Western",
    "european": "Western",
    "uk": "Western",
    "fr": "Western",
    "france": "Western",
}


def normalise_group(value: str) -> str | None:
    """Map a group spelling (`CN`, `US`, `china`, ...) to a known group, or None."""
    return _ALIASES.get(value.strip().lower())
