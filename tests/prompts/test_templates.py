"""Prompt templates: built-in wording, hashing, user files and rendering."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path

import pytest

from papertiger.errors import ConfigError, InputError
from papertiger.prompts import BUILTIN_TEMPLATES, PromptTemplate, get_template, render
from papertiger.schema import Problem

ESSAY = Path(__file__).resolve().parents[2].parent / "shared" / "seed" / "paper-ai-tigers.md"

BASIC_TEXT = (
    "Solve this AIME mathematical problem step by step.\n\n"
    "Problem: {problem}\n\n"
    "Think through this carefully and provide your final answer as a 3-digit integer "
    "(000-999).\n\n"
    'End with: "Therefore, the answer is [your answer]."'
)


def _problem(text: str) -> Problem:
    return Problem(benchmark="aime2024", item_id="aime2024-I-01", problem=text, answer="1")


def test_builtins_are_listed() -> None:
    assert BUILTIN_TEMPLATES == ("basic", "boxed")


def test_basic_is_the_essays_prompt_verbatim() -> None:
    template = get_template("basic")
    assert template.name == "basic"
    assert template.text == BASIC_TEXT


def test_basic_matches_the_essay_when_present() -> None:
    """Same words as the essay's <code> block, whose {} we name {problem}."""
    if not ESSAY.is_file():
        pytest.skip(f"{ESSAY} not present")
    essay = ESSAY.read_text(encoding="utf-8")
    block = re.search(r"<code>(.*?)</code>", essay.split("### Kimi 1.5")[-1], re.S)
    if block is None:
        block = re.search(r"<code>\s*(Solve this AIME.*?)</code>", essay, re.S)
    assert block is not None
    essay_words = block.group(1).replace("<!--  -->", " ").replace("{}", "{problem}").split()
    assert get_template("basic").text.split() == essay_words


def test_boxed_variants() -> None:
    integer = get_template("boxed")
    latex = get_template("boxed", "latex")
    assert integer.text == (
        "Please reason step by step, and put your final answer within \\boxed{}. "
        "The answer is an integer between 0 and 999 inclusive.\n\n{problem}"
    )
    assert latex.text == (
        "Please reason step by step, and put your final answer within \\boxed{}.\n\n{problem}"
    )
    assert integer.name == latex.name == "boxed"
    assert integer.hash != latex.hash


def test_basic_refuses_latex_suites() -> None:
    with pytest.raises(ConfigError, match="basic"):
        get_template("basic", "latex")


def test_unknown_answer_format() -> None:
    with pytest.raises(ConfigError, match="answer format"):
        get_template("boxed", "prose")  # type: ignore[arg-type]


def test_hash_is_sha256_of_text_and_template_is_frozen() -> None:
    template = get_template("basic")
    assert template.hash == hashlib.sha256(template.text.encode("utf-8")).hexdigest()
    assert get_template("basic") == template
    with pytest.raises(dataclasses.FrozenInstanceError):
        template.text = "x {problem}"  # type: ignore[misc]


def test_template_needs_exactly_one_placeholder() -> None:
    with pytest.raises(ValueError, match="exactly once"):
        PromptTemplate("x", "no placeholder")
    with pytest.raises(ValueError, match="exactly once"):
        PromptTemplate("x", "{problem} {problem}")


def test_render_uses_replace_not_format() -> None:
    text = r"Find $\frac{a}{b}$ where {x} and {} and {problem} and {0} appear."
    messages = render(get_template("boxed"), _problem(text))
    assert messages == [
        {
            "role": "user",
            "content": "Please reason step by step, and put your final answer within "
            "\\boxed{}. The answer is an integer between 0 and 999 inclusive.\n\n" + text,
        }
    ]


def test_render_basic_fills_the_problem_line() -> None:
    content = render(get_template("basic"), _problem("What is 1+1?"))[0]["content"]
    assert "\nProblem: What is 1+1?\n" in content
    assert "{problem}" not in content


def test_user_template_file(tmp_path: Path) -> None:
    path = tmp_path / "terse.txt"
    path.write_text("Answer with a number.\n\n{problem}\n", encoding="utf-8")
    template = get_template(str(path))
    assert template.name == "terse.txt"
    assert template.text == "Answer with a number.\n\n{problem}"
    assert get_template(path, "latex") == template
    assert render(template, _problem("{x}"))[0]["content"] == "Answer with a number.\n\n{x}"


@pytest.mark.parametrize("body", ["no placeholder here", "{problem} twice {problem}", "{Problem}"])
def test_user_template_needs_one_placeholder(tmp_path: Path, body: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError, match="exactly once") as info:
        get_template(str(path))
    assert "bad.txt" in str(info.value)


def test_user_template_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("caf\xe9 {problem}".encode("latin-1"))
    with pytest.raises(InputError, match="UTF-8") as info:
        get_template(path)
    assert "latin.txt" in str(info.value)


def test_missing_template_names_the_path_and_builtins(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(InputError) as info:
        get_template(str(missing))
    assert "nope.txt" in str(info.value) and "basic" in str(info.value)
    with pytest.raises(InputError, match="boxed"):
        get_template("boxd")
