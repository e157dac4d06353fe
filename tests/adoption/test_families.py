"""The matching rule, family specs and TOML files, checked phrase by phrase."""

from __future__ import annotations

from pathlib import Path

import pytest

from papertiger.adoption import (
    Family,
    Matcher,
    by_origin,
    default_families,
    load_families,
    parse_family,
)
from papertiger.errors import ConfigError, InputError

LLAMA = parse_family("LLaMA=llama,llama2,llama3,llama 3")
QWEN = parse_family("Qwen=qwen,qwen2,qwen2.5,qwq")
MATCHER = Matcher([LLAMA, QWEN])


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("We fine-tune LLaMA-2 7B.", ["LLaMA"]),
        ("Llama 3.1 8B and Llama-3-70B", ["LLaMA"]),
        ("LLAMA.", ["LLaMA"]),
        ("(llama)", ["LLaMA"]),
        ("llama_2-chat", ["LLaMA"]),  # underscore separates words
        ("Meta's Llama\n  3", ["LLaMA"]),  # a term's space matches a line break
        ("meta-llama/Llama-2-7b-hf", ["LLaMA"]),
        ("Qwen-VL is Qwen with a vision encoder", ["Qwen"]),  # decided: Qwen-VL is Qwen
        ("Qwen2.5-7B-Instruct", ["Qwen"]),
        ("Qwen/Qwen2-7B", ["Qwen"]),
        ("QwQ-32B", ["Qwen"]),
        ("qwen2.5-math", ["Qwen"]),
        ("LLaMA and Qwen, and again Qwen", ["LLaMA", "Qwen"]),  # once per family
        ("llamas and alpacas", []),
        ("served by Ollama", []),
        ("TinyLlama", []),
        ("LlamaIndex", []),
        ("a Llamaesque design", []),
        ("Qwen3 (not spelled out here)", []),  # glued digit: needs its own term
        ("qwen25", []),
        ("Qwenzhou", []),
        ("", []),
    ],
)
def test_matching_rule(text: str, names: list[str]) -> None:
    assert MATCHER.names(text) == names


def test_backslash_before_a_term_is_latex_not_a_model() -> None:
    phi = parse_family("Phi=phi-2,phi-3")
    matcher = Matcher([phi])
    assert matcher.names("we use Phi-2 and phi-3-mini") == ["Phi"]
    assert matcher.names(r"the loss $\phi-2\psi$ decays") == []


def test_non_ascii_neighbours_and_terms() -> None:
    matcher = Matcher([QWEN, Family("Tongyi", ("通义千问",))])
    assert matcher.names("Qwen—based") == ["Qwen"]  # an em dash separates
    assert matcher.names("qwenü") == []  # a letter glues, ASCII or not
    assert matcher.names("我们使用通义千问模型") == []  # glued to letters on both sides
    assert matcher.names("模型: 通义千问.") == ["Tongyi"]


def test_parse_family_errors_are_one_line_config_errors() -> None:
    for spec in ("LLaMA", "=llama", "LLaMA=", "LLaMA= , ", "X=--"):
        with pytest.raises(ConfigError) as err:
            parse_family(spec)
        assert "\n" not in str(err.value) and "--family" in str(err.value)
    assert parse_family(" Qwen = qwen , qwq ").terms == ("qwen", "qwq")


def test_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "families.toml"
    path.write_text(
        '[[family]]\nname = "A"\nterms = ["alpha"]\norigin = "X"\n'
        '[[family]]\nname = "B"\nterms = ["beta", "bravo"]\nlab = "Lab B"\norigin = "X"\n'
    )
    families = load_families(path)
    assert [f.name for f in families] == ["A", "B"]
    assert families[1].lab == "Lab B"
    pooled = by_origin(families)
    assert [(f.name, f.terms) for f in pooled] == [("X", ("alpha", "beta", "bravo"))]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('[[family]]\nname = "A"\n', "family[0].terms"),
        ('[[family]]\nterms = ["a"]\n', "family[0].name"),
        (
            '[[family]]\nname = "A"\nterms = ["a"]\n[[family]]\nname = "B"\nterms = [1]\n',
            "family[1].terms",
        ),
        ('[[family]]\nname = "A"\nterms = ["a"]\nlab = 3\n', "family[0].lab"),
        ('title = "no families"\n', "family"),
    ],
)
def test_toml_errors_name_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_families(path)
    assert err.value.field == field and str(path) in str(err.value)


def test_toml_syntax_error_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[[family]\n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_families(path)
    with pytest.raises(InputError, match="cannot read"):
        load_families(tmp_path / "missing.toml")


def test_duplicate_family_names_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.toml"
    path.write_text(
        '[[family]]\nname = "A"\nterms = ["a"]\n[[family]]\nname = "a"\nterms = ["b"]\n'
    )
    with pytest.raises(ConfigError, match="defined twice"):
        load_families(path)


def test_default_families_ship_and_match_their_own_names() -> None:
    families = {f.name: f for f in default_families()}
    assert {"LLaMA", "Qwen", "DeepSeek", "Mistral", "Gemma"} <= set(families)
    assert all(f.origin and f.lab and f.terms for f in families.values())
    matcher = Matcher(list(families.values()))
    assert matcher.names("We compare Llama-3.1-8B, Qwen2.5-7B, DeepSeek-R1 and Mixtral-8x7B.") == [
        "LLaMA",
        "Qwen",
        "DeepSeek",
        "Mistral",
    ]
    # bare words that are also ordinary words or symbols are left out on purpose
    assert matcher.names("a generalised linear model (GLM) with angle phi; Yi et al.") == []
