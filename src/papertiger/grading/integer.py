"""The AIME grader: a strict integer path, no symbolic maths, so it is fast and predictable."""

from __future__ import annotations

from papertiger.errors import ConfigError
from papertiger.grading.extract import Extraction, extract_integer, normalize_integer
from papertiger.schema import Completion, Flag, Grade, gold_hash

__all__ = ["IntegerGrader", "check_gradable"]


def verdict(
    name: str,
    version: str,
    found: Extraction,
    correct: bool,
    completion: Completion,
    gold: str,
    problems: frozenset[Flag] = frozenset(),
) -> Grade:
    """The Grade every grader returns: what was found, how, the flags, the gold's hash.

    `problems` carries the checker's own trouble (`grader_error`, `grader_timeout`).
    """
    flags: set[Flag] = set(problems)
    if found.fallback:
        flags.add("fallback")
    if completion.finish_reason == "length":
        flags.add("truncated")
    return Grade(
        grader=name,
        version=version,
        extracted=found.answer,
        score=1.0 if correct else 0.0,
        method=found.method,
        flags=frozenset(flags),
        gold_hash=gold_hash(gold),
    )


def check_gradable(completion: Completion) -> None:
    """Refuse failed requests: an error is not a wrong answer and must never be graded."""
    if completion.status == "error":
        raise ValueError(
            f"completion {completion.key} has status 'error'; errors are not graded "
            "(they are neither right nor wrong)"
        )


def _gold_integer(gold: str) -> str:
    """The gold answer as a normalised integer string; a non-integer gold is a set-up error."""
    value = normalize_integer(str(gold))
    if value is None:
        raise ConfigError(
            f"the integer grader cannot grade against the non-integer gold answer {gold!r}; "
            "use the 'math_verify' grader for this benchmark"
        )
    return value


class IntegerGrader:
    """Grades AIME-style answers: integers compared after leading zeros are dropped.

    An AIME gold is 0–999, so an extracted answer outside that range (``1000``, ``-2``) is
    kept in `extracted` and graded wrong by plain equality; no separate range rule is needed,
    and a custom integer suite with larger answers still grades correctly.

    Version history: "1" — first release (see `grading.extract` for the rules).
    """

    name: str = "integer"
    version: str = "1"

    def grade(self, completion: Completion, gold: str) -> Grade:
        """Extract the answer from the reply text (never the reasoning) and compare to `gold`."""
        check_gradable(completion)
        target = _gold_integer(gold)
        found = extract_integer(completion.text)
        correct = found.answer is not None and found.answer == target
        return verdict(self.name, self.version, found, correct, completion, gold)
