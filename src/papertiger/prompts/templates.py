"""Prompt templates: built-in wordings and user files, hashed so an attempt names its prompt.

A template is plain text with exactly one ``{problem}`` placeholder. It is filled with
``str.replace``, never ``str.format``: problem statements are LaTeX and full of braces.

Built-ins:

``basic``
    The essay's prompt (the "Mistral prompt" used for the Kimi 1.5 browser run), verbatim.
    It asks for a 3-digit integer, so it exists for integer (AIME) suites only.
``boxed``
    MathArena's instruction, then a blank line, then the problem (MathArena puts the
    instruction first). For integer suites it carries MathArena's AIME sentence "The answer
    is an integer between 0 and 999 inclusive."; for LaTeX suites (HMMT) it does not.
    The two variants are two concrete texts with two hashes: `get_template("boxed",
    answer_format)` resolves the name, so a template object never holds a second
    placeholder and its hash always identifies exactly the words sent.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from papertiger.errors import ConfigError, InputError
from papertiger.schema import Problem
from papertiger.schema.problem import AnswerFormat

__all__ = ["BUILTIN_TEMPLATES", "PLACEHOLDER", "PromptTemplate", "get_template", "render"]

PLACEHOLDER = "{problem}"

BASIC = (
    "Solve this AIME mathematical problem step by step.\n"
    "\n"
    "Problem: {problem}\n"
    "\n"
    "Think through this carefully and provide your final answer as a 3-digit integer "
    "(000-999).\n"
    "\n"
    'End with: "Therefore, the answer is [your answer]."'
)
BOXED_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."
INTEGER_HINT = " The answer is an integer between 0 and 999 inclusive."

BUILTIN_TEMPLATES: tuple[str, ...] = ("basic", "boxed")
ANSWER_FORMATS: tuple[str, ...] = ("integer", "latex")


@dataclass(frozen=True)
class PromptTemplate:
    """A named prompt text with one ``{problem}``; `hash` is the sha256 of the text."""

    name: str
    text: str
    hash: str = field(init=False)

    def __post_init__(self) -> None:
        count = self.text.count(PLACEHOLDER)
        if count != 1:
            raise ValueError(
                f"template {self.name!r} must contain {PLACEHOLDER} exactly once, found {count}"
            )
        digest = hashlib.sha256(self.text.encode("utf-8")).hexdigest()
        object.__setattr__(self, "hash", digest)


def _builtin(name: str, answer_format: str) -> PromptTemplate:
    """The built-in template `name` in the variant for `answer_format`."""
    if name == "basic":
        if answer_format != "integer":
            raise ConfigError(
                "template 'basic' asks for a 3-digit integer (000-999) and only suits "
                f"integer answers, not {answer_format!r}; use 'boxed' or a template file"
            )
        return PromptTemplate("basic", BASIC)
    hint = INTEGER_HINT if answer_format == "integer" else ""
    return PromptTemplate("boxed", f"{BOXED_INSTRUCTION}{hint}\n\n{PLACEHOLDER}")


def _read_template_file(path: Path) -> PromptTemplate:
    """A user template from a UTF-8 text file; trailing whitespace is dropped."""
    try:
        text = path.read_text(encoding="utf-8").rstrip()
    except UnicodeDecodeError as exc:
        message = f"prompt template is not UTF-8 text ({exc.reason})"
        raise InputError(message, path=str(path)) from exc
    except OSError as exc:
        message = f"cannot read prompt template: {exc.strerror}"
        raise InputError(message, path=str(path)) from exc
    count = text.count(PLACEHOLDER)
    if count != 1:
        raise InputError(
            f"a prompt template must contain {PLACEHOLDER} exactly once; found {count}",
            path=str(path),
        )
    return PromptTemplate(path.name, text)


def get_template(
    name_or_path: str | os.PathLike[str], answer_format: AnswerFormat = "integer"
) -> PromptTemplate:
    """A built-in template by name ('basic', 'boxed'), or a user template from a file path.

    `answer_format` picks the built-in's variant (see the module docstring); a user file is
    used as written whatever the format. A built-in name wins over a file of the same name
    (write ``./basic`` for the file).
    """
    if answer_format not in ANSWER_FORMATS:
        expected = ", ".join(ANSWER_FORMATS)
        raise ConfigError(f"unknown answer format {answer_format!r}; expected one of {expected}")
    if isinstance(name_or_path, str) and name_or_path in BUILTIN_TEMPLATES:
        return _builtin(name_or_path, answer_format)
    path = Path(name_or_path)
    if not path.is_file():
        known = ", ".join(BUILTIN_TEMPLATES)
        raise InputError(
            f"no built-in prompt template of that name ({known}) and no such file",
            path=str(name_or_path),
        )
    return _read_template_file(path)


def render(template: PromptTemplate, problem: Problem) -> list[dict[str, str]]:
    """The chat messages for one problem: a single user turn with the problem filled in."""
    content = template.text.replace(PLACEHOLDER, problem.problem, 1)
    return [{"role": "user", "content": content}]
