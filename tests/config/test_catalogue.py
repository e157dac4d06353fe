"""The model catalogue: known metadata, user overrides, clear errors, and no keys."""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources
from pathlib import Path

import pytest

from papertiger.config import KNOWN_MODELS_RESOURCE, known_models, load_catalogue, read_catalogue
from papertiger.errors import InputError
from papertiger.schema import ModelSpec

USER_TOML = """
[[model]]
name = "deepseek-reasoner"
base_url = "https://api.deepseek.com"
api_key_env = "DEEPSEEK_API_KEY"
price_out = 0.42          # the user's period had another price
max_tokens = 32768
extra = { thinking = { type = "enabled" } }

[[model]]
name = "my-local-qwen"
base_url = "http://127.0.0.1:8000/v1"
model = "Qwen/Qwen3-4B"
group = "CN"
lab = "Alibaba (Qwen)"
released = 2025-04-29
concurrency = 64
temperature = 0.6
top_p = 0.95
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "models.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_known_models_ship_metadata_only() -> None:
    known = known_models()
    assert {
        "deepseek-chat",
        "deepseek-reasoner",
        "kimi-k2",
        "qwen3-235b-a22b",
        "o3",
        "o4-mini",
        "gpt-4.1",
        "claude-opus-4",
        "gemini-2.5-pro",
        "grok-4",
    } <= set(known)
    assert all(spec.base_url is None and spec.api_key_env is None for spec in known.values())
    assert {spec.group for spec in known.values()} == {"CN", "US"}
    assert known["gpt-4.1"].training_cutoff == dt.date(2024, 6, 1)


def test_every_known_entry_cites_a_source() -> None:
    text = resources.files("papertiger.config").joinpath(KNOWN_MODELS_RESOURCE).read_text()
    blocks = text.split("[[model]]")
    for comment, entry in zip(blocks[:-1], blocks[1:], strict=True):
        name = re.search(r'name = "([^"]+)"', entry)
        assert name and "https://" in comment.split("\n\n")[-1], name


def test_user_file_wins_field_by_field(tmp_path: Path) -> None:
    catalogue = load_catalogue(_write(tmp_path, USER_TOML))
    reasoner = catalogue["deepseek-reasoner"]
    assert reasoner.price_out == 0.42 and reasoner.price_in == 0.55  # known value kept
    assert (reasoner.lab, reasoner.lineage) == ("DeepSeek", "DeepSeek-R1")
    assert reasoner.base_url == "https://api.deepseek.com"
    assert reasoner.sampling.extra == {"thinking": {"type": "enabled"}}
    local = catalogue["my-local-qwen"]
    assert (local.endpoint_model, local.concurrency, local.released) == (
        "Qwen/Qwen3-4B",
        64,
        dt.date(2025, 4, 29),
    )
    assert "o3" in catalogue  # known-only entries stay available
    assert set(read_catalogue(tmp_path / "models.toml")) == {"deepseek-reasoner", "my-local-qwen"}


@pytest.mark.parametrize(
    ("entry", "match", "field"),
    [
        ('name = "m"\nbase_ur = "http://x"', "unknown field 'base_ur'; did you mean 'base_url'", "base_ur"),
        ('name = "m"\nbase_url = "ftp://x"', "must be an http:// or https:// URL", "base_url"),
        ('name = "m"\nbase_url = "not a url"', "must be an http:// or https:// URL", "base_url"),
        ('name = "m"\nconcurrency = "lots"', "valid integer", "concurrency"),
        ('name = "m"\nprice_in = -1.0', "greater than or equal to 0", "price_in"),
        ('name = "m"\nreleased = "last spring"', "valid date", "released"),
        ('base_url = "http://x"', "non-empty string 'name'", "name"),
        ('name = "m"\napi_key_env = "MY KEY"', "environment variable name", "api_key_env"),
    ],
)
def test_bad_entry_names_file_entry_and_field(
    tmp_path: Path, entry: str, match: str, field: str
) -> None:
    path = _write(tmp_path, f'[[model]]\nname = "fine"\n\n[[model]]\n{entry}\n')
    with pytest.raises(InputError, match=match) as caught:
        load_catalogue(path)
    error = caught.value
    line = 6 if f"\n{field} =" in f"\n{entry}" and field != "name" else 4  # the field's own line
    assert (error.path, error.line, error.field) == (str(path), line, field)
    assert "[[model]] #2" in str(error)


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        ('extra = { headers = { Authorization = "abc" } }', "extra.headers.Authorization"),
        ('extra = { chat_template_kwargs = { api_key = "abc" } }', "extra.chat_template_kwargs.api_key"),
        ('[model.sampling]\nextra = { x-api-key = "abc" }', "sampling.extra.x-api-key"),
        ('extra = { session_token = "abc" }', "extra.session_token"),
    ],
)
def test_nested_credentials_in_extra_are_refused(tmp_path: Path, extra: str, path: str) -> None:
    file = _write(tmp_path, f'[[model]]\nname = "m"\nbase_url = "http://x/v1"\n{extra}\n')
    with pytest.raises(InputError, match="would send a credential") as caught:
        load_catalogue(file)
    assert caught.value.field == path
    assert "abc" not in str(caught.value)


def test_sampling_fields_named_like_tokens_are_fine(tmp_path: Path) -> None:
    file = _write(tmp_path, '[[model]]\nname = "m"\nbase_url = "http://x/v1"\n'
                  'extra = { max_completion_tokens = 10, top_k = 5 }\n')
    assert load_catalogue(file)["m"].sampling.extra == {"max_completion_tokens": 10, "top_k": 5}


def test_duplicate_names(tmp_path: Path) -> None:
    path = _write(tmp_path, '[[model]]\nname = "a"\n[[model]]\nname = "b"\n[[model]]\nname = "a"\n')
    with pytest.raises(InputError, match=r"\[\[model\]\] #3 \('a'\): duplicate model name 'a'"):
        load_catalogue(path)


def test_toml_and_shape_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not valid TOML") as caught:
        load_catalogue(_write(tmp_path, '[[model]]\nname = "a"\nprice_in = \n'))
    assert caught.value.line == 3
    with pytest.raises(InputError, match=r"unknown table\(s\) models"):
        load_catalogue(_write(tmp_path, '[[models]]\nname = "a"\n'))
    with pytest.raises(InputError, match="file not found"):
        load_catalogue(tmp_path / "absent.toml")


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ('api_key_env = "sk-proj-abc123def456ghi789"', "api_key_env"),
        ('api_key_env = "AIzaSyA1b2C3d4E5f6G7h8I9j0"', "api_key_env"),
        ('api_key_env = "3f9a1c2b4d5e6f708192a3b4c5d6e7f8"', "api_key_env"),
        ('api_key = "sk-proj-abc123def456ghi789"', "api_key"),
        ('extra = { api_key = "sk-proj-abc123def456ghi789" }', "extra.api_key"),
        ('extra = { headers = { x = "sk-ant-abc123def456ghi789" } }', "extra.headers.x"),
        ('base_url = "https://user:sk-abc123@api.example.com/v1"', "base_url"),
        ('base_url = "https://api.example.com/v1?api_key=abc123"', "base_url"),
    ],
)
def test_keys_are_refused_and_never_echoed(tmp_path: Path, entry: str, field: str) -> None:
    path = _write(tmp_path, f'[[model]]\nname = "m"\n{entry}\n')
    with pytest.raises(InputError) as caught:
        load_catalogue(path)
    assert caught.value.field == field
    secret = entry.split('"')[-2]
    assert secret not in str(caught.value)


def test_the_catalogue_holds_variable_names_not_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-live-0123456789abcdef0123456789abcdef"
    monkeypatch.setenv("DEEPSEEK_API_KEY", secret)
    catalogue = load_catalogue(_write(tmp_path, USER_TOML))
    assert catalogue["deepseek-reasoner"].api_key_env == "DEEPSEEK_API_KEY"
    dumped = repr(catalogue) + "".join(s.model_dump_json() for s in catalogue.values())
    assert secret not in dumped
    assert "api_key" not in ModelSpec.model_fields


def test_stream_is_true_false_or_sample(tmp_path: Path) -> None:
    base = '[[model]]\nname = "m"\nbase_url = "http://127.0.0.1:9/v1"\n'
    assert read_catalogue(_write(tmp_path, base + 'stream = "sample"\n'))["m"].stream == "sample"
    assert read_catalogue(_write(tmp_path, base + "stream = false\n"))["m"].stream is False
    with pytest.raises(InputError, match=r"line 4, column 'stream'.*true, false or \"sample\""):
        read_catalogue(_write(tmp_path, base + 'stream = "often"\n'))
