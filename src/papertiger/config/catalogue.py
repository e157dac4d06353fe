"""The model catalogue: `[[model]]` tables in TOML -> `ModelSpec` by name.

The package ships metadata for well-known models (lab, origin group, release date,
training cutoff, prices; `data/known_models.toml`, each value with its source). A user's
models.toml adds endpoints and sampling settings and may override any known field; the
user wins field by field.

Secrets never enter the catalogue: `api_key_env` holds the *name* of an environment
variable, and a value that looks like a key (in that field or anywhere else) is refused
without being echoed back.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pydantic import ValidationError

from papertiger.errors import InputError
from papertiger.schema import ModelSpec
from papertiger.schema.model import http_url

KNOWN_MODELS_RESOURCE = "data/known_models.toml"
_KNOWN_LABEL = "papertiger/config/" + KNOWN_MODELS_RESOURCE

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Prefixes of common provider keys (OpenAI/DeepSeek/Moonshot 'sk-', Anthropic 'sk-ant-',
# Hugging Face, Groq, xAI, Google, Perplexity, NVIDIA, Replicate, GitHub).
_KEY_PREFIXES = (
    "sk-",
    "sk_",
    "hf_",
    "gsk_",
    "xai-",
    "AIza",
    "pplx-",
    "nvapi-",
    "r8_",
    "ghp_",
    "github_pat_",
)
# Names of credential fields, as whole words of a key ("x-api-key", "session_token";
# not "max_tokens").
_SECRET_NAME = re.compile(
    r"(?:^|[^a-z])(?:api[_-]?key|secret|password|passwd|authorization|bearer|token|cookie|"
    r"credentials?|access[_-]?key)(?:$|[^a-z])",
    re.IGNORECASE,
)
_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*model[ \t]*\]\]", re.MULTILINE)


_FIELDS = sorted((set(ModelSpec.model_fields) - {"extra_base_urls"})
                 | {"temperature", "top_p", "max_tokens", "reasoning_effort", "extra"})


class _Entry:
    """Where one `[[model]]` table sits (and its text), for error messages."""

    def __init__(
        self, label: str, index: int, line: int | None, name: Any, text: str = ""
    ) -> None:
        self.label, self.index, self.line, self.text = label, index, line, text
        self.where = f"[[model]] #{index}" + (f" ({name!r})" if isinstance(name, str) else "")

    def line_of(self, field: str | None, value: str | None = None) -> int | None:
        """The line that sets `field` in this table (its first key), else the header's;
        with `value`, the line from there on that holds it (an element of an array)."""
        if not field or self.line is None:
            return self.line
        key = re.escape(field.split(".")[0].split("[")[0])
        lines = self.text.splitlines()
        for number in range(self.line, len(lines)):
            text = lines[number]
            if re.match(r"\s*\[\[", text):  # the next table: stop
                break
            if re.match(rf"\s*{key}\s*=", text) or re.match(rf"\s*\[model\.{key}\]", text):
                return self._holding(number, value) or number + 1
        return self.line

    def _holding(self, start: int, value: str | None) -> int | None:
        if value is None:
            return None
        lines = self.text.splitlines()
        for number in range(start, len(lines)):
            if number > start and re.match(r"\s*(\[|[A-Za-z_][\w-]*\s*=)", lines[number]):
                return None  # the next key or table: not found
            if value in lines[number]:
                return number + 1
        return None

    def error(self, message: str, field: str | None = None, value: str | None = None) -> InputError:
        return InputError(
            f"{self.where}: {message}", path=self.label, line=self.line_of(field, value),
            field=field,
        )


def load_catalogue(path: Path | None = None) -> dict[str, ModelSpec]:
    """Known models' metadata merged with the user's file (user wins field by field)."""
    known = _read_entries(_known_text(), _KNOWN_LABEL)
    user = _read_entries(_read_text(path), str(path)) if path is not None else {}
    merged = {**known}
    for name, fields in user.items():
        merged[name] = {**known.get(name, {}), **fields}
    return {name: ModelSpec.model_validate(fields) for name, fields in merged.items()}


def known_models() -> dict[str, ModelSpec]:
    """The metadata shipped with papertiger, by catalogue name."""
    return load_catalogue(None)


def read_catalogue(path: Path) -> dict[str, ModelSpec]:
    """Only the models defined in `path`, validated, without the known metadata."""
    entries = _read_entries(_read_text(path), str(path))
    return {name: ModelSpec.model_validate(fields) for name, fields in entries.items()}


# -- reading and validating --------------------------------------------------------------


def _known_text() -> str:
    return (
        resources.files("papertiger.config")
        .joinpath(KNOWN_MODELS_RESOURCE)
        .read_text(encoding="utf-8")
    )


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError("file not found", path=str(path)) from exc
    except IsADirectoryError:
        raise InputError("is a folder; give the catalogue's TOML file", path=str(path)) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text; save the file as UTF-8", path=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=str(path)) from None


def _read_entries(text: str, label: str) -> dict[str, dict[str, Any]]:
    """Validated `[[model]]` tables by name, keeping only the fields each one sets."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        raise InputError(
            f"not valid TOML ({exc})", path=label, line=int(found.group(1)) if found else None
        ) from exc
    unknown = sorted(set(data) - {"model"})
    if unknown:
        raise InputError(
            f"unknown table(s) {', '.join(unknown)}; expected [[model]] tables",
            path=label,
            field=unknown[0],
        )
    tables = data.get("model", [])
    if not isinstance(tables, list):
        raise InputError("'model' must be an array of tables ([[model]])", path=label)
    lines = [text.count("\n", 0, m.start()) + 1 for m in _HEADER.finditer(text)]
    entries: dict[str, dict[str, Any]] = {}
    for index, table in enumerate(tables, start=1):
        line = lines[index - 1] if len(lines) == len(tables) else None
        name = table.get("name") if isinstance(table, Mapping) else None
        entry = _Entry(label, index, line, name, text)
        fields = _validate(table, entry)
        if fields["name"] in entries:
            raise entry.error(f"duplicate model name {fields['name']!r}", field="name")
        entries[fields["name"]] = fields
    return entries


def _validate(table: Any, entry: _Entry) -> dict[str, Any]:
    if not isinstance(table, Mapping):
        raise entry.error("must be a table")
    if not isinstance(table.get("name"), str) or not table["name"].strip():
        raise entry.error("needs a non-empty string 'name'", field="name")
    _refuse_secrets(table, entry)
    _check_url_list(table, entry)
    try:
        ModelSpec.model_validate(table)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        more = exc.error_count() - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        message = first["msg"]
        if first["type"] == "extra_forbidden" and field:
            close = difflib.get_close_matches(field.split(".")[-1], _FIELDS, n=1, cutoff=0.6)
            message = f"unknown field {field!r}" + (f"; did you mean {close[0]!r}?" if close else
                                                    f" (fields: {', '.join(_FIELDS)})")
        raise entry.error(f"{message}{suffix}", field=field) from exc
    return dict(table)


# -- keeping keys out --------------------------------------------------------------------


def looks_like_key(value: str) -> bool:
    """True for strings shaped like a provider API key (by prefix, or a Bearer header)."""
    text = value.strip()
    return text.startswith(_KEY_PREFIXES) or text.lower().startswith("bearer ")


def _refuse_secrets(table: Mapping[str, Any], entry: _Entry) -> None:
    """Refuse keys placed in the catalogue; the offending value is never echoed."""
    env = table.get("api_key_env")
    if isinstance(env, str):
        _check_env_name(env, entry)
    if "api_key" in table or "key" in table:
        field = "api_key" if "api_key" in table else "key"
        raise entry.error(
            "API keys never go in the catalogue; set api_key_env to the NAME of the "
            "environment variable that holds the key",
            field=field,
        )
    sampling = table.get("sampling")
    for where, extra in (("extra", table.get("extra")),
                         ("sampling.extra", sampling.get("extra") if isinstance(sampling, Mapping) else None)):
        for path in _credential_paths(extra, where):
            raise entry.error(
                f"request field {path!r} would send a credential with every request (and "
                "store it); keys come only from api_key_env",
                field=path,
            )
    base_url = table.get("base_url")
    for field, url in _url_fields(base_url):
        if _url_has_credentials(url):
            raise entry.error(
                f"{field} must not carry credentials (user:password@ or a key "
                "parameter); use api_key_env",
                field=field,
                value=url,  # finds its line; the message never repeats it
            )
    for field, value in _strings(table):
        if field != "api_key_env" and looks_like_key(value):
            raise entry.error(
                "this value looks like an API key; keys come from the "
                "environment (see api_key_env)",
                field=field,
            )


def _url_fields(base_url: Any) -> list[tuple[str, str]]:
    """(field, URL) for a `base_url` string or each string of a `base_url` list."""
    if isinstance(base_url, str):
        return [("base_url", base_url)]
    if isinstance(base_url, list):
        return [(f"base_url[{i}]", u) for i, u in enumerate(base_url) if isinstance(u, str)]
    return []


def _check_url_list(table: Mapping[str, Any], entry: _Entry) -> None:
    """`base_url = [...]`: several servers of one model, each a distinct http(s) URL.

    Checked here rather than left to the schema so that the error names the element."""
    if "extra_base_urls" in table:
        raise entry.error("list every endpoint in base_url = [...]", field="extra_base_urls")
    urls = table.get("base_url")
    if not isinstance(urls, list):
        return
    if not urls:
        raise entry.error("base_url is an empty list; give one URL or several", field="base_url")
    seen: dict[str, int] = {}
    for i, url in enumerate(urls):
        field = f"base_url[{i}]"
        if not isinstance(url, str):
            raise entry.error(f"must be a URL string (got {type(url).__name__})", field=field)
        try:
            http_url(url)
        except ValueError as exc:
            raise entry.error(str(exc), field=field, value=url) from None
        norm = url.strip().rstrip("/")
        if norm in seen:
            raise entry.error(f"{url!r} is listed twice (also base_url[{seen[norm]}])",
                              field=field)
        seen[norm] = i


def _credential_paths(value: Any, prefix: str) -> list[str]:
    """Dotted paths of keys named like credentials, at any depth of a table."""
    if not isinstance(value, Mapping):
        return []
    found = []
    for key, inner in value.items():
        path = f"{prefix}.{key}"
        if _SECRET_NAME.search(str(key)):
            found.append(path)
        found += _credential_paths(inner, path)
    return found


def _check_env_name(value: str, entry: _Entry) -> None:
    # Hex or base62 keys without a known prefix (e.g. 64 hex characters) are long, mix
    # digits with lower case and have no '_', which variable names almost always have.
    random_looking = (
        len(value) >= 24
        and "_" not in value
        and not value.isupper()
        and any(c.isdigit() for c in value)
    )
    if looks_like_key(value) or random_looking:
        raise entry.error(
            "api_key_env holds an API key itself; put the NAME of the environment "
            "variable here (e.g. DEEPSEEK_API_KEY) and the key in your environment",
            field="api_key_env",
        )
    if not _ENV_NAME.fullmatch(value):
        raise entry.error(
            "api_key_env must be an environment variable name (letters, digits and '_', "
            "e.g. DEEPSEEK_API_KEY)",
            field="api_key_env",
        )


def _url_has_credentials(url: str) -> bool:
    parts = urlsplit(url)
    if parts.username or parts.password:
        return True
    return any(_SECRET_NAME.search(k) or k.lower() == "key" for k, _ in parse_qsl(parts.query))


def _strings(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Every string inside a table, with its dotted field path."""
    if isinstance(value, str):
        return [(prefix, value)]
    if isinstance(value, Mapping):
        found: list[tuple[str, str]] = []
        for key, inner in value.items():
            found += _strings(inner, f"{prefix}.{key}" if prefix else str(key))
        return found
    if isinstance(value, list):
        return [pair for i, item in enumerate(value) for pair in _strings(item, f"{prefix}[{i}]")]
    return []
