"""Check each endpoint once before the first paid request.

A wrong URL, a dead server, a bad key or an unknown model id would otherwise cost one
failed request per planned attempt, on every run. `GET /models` answers all four where a
server offers it (OpenAI, vLLM, SGLang, OpenRouter, Ollama...); where it does not, one
tiny chat request (one output token) per model does.

Every base URL of a model is checked. One that cannot be reached while the model has
others that can is a warning, not a problem: the run rests it and goes on with the rest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from papertiger.providers.endpoints import Endpoint
from papertiger.providers.failures import redact

__all__ = ["Preflight", "check_endpoints"]

_TIMEOUT = aiohttp.ClientTimeout(total=15)


@dataclass(frozen=True)
class Preflight:
    """What the check found: `problems` stop the run; `warnings` name dead URLs (`down`)
    that their models can do without."""

    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    down: tuple[str, ...] = ()


def _ids(body: bytes) -> list[str] | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return None
    return [str(m.get("id")) for m in items if isinstance(m, dict) and m.get("id")]


def _message(body: bytes) -> str:
    text = body[:2000].decode("utf-8", "replace")
    try:
        data = json.loads(text)
        err = data.get("error", data) if isinstance(data, dict) else data
        text = str(err.get("message", err)) if isinstance(err, dict) else str(err)
    except ValueError:
        pass
    return " ".join(text.split())[:200]


async def _get_models(
    session: aiohttp.ClientSession, base: str, headers: dict[str, str]
) -> tuple[int, bytes]:
    async with session.get(f"{base}/models", headers=headers, timeout=_TIMEOUT) as resp:
        return resp.status, await resp.content.read(256 * 1024)


async def _ping(
    session: aiohttp.ClientSession, base: str, model: str, headers: dict[str, str]
) -> tuple[int, bytes]:
    body = {"model": model, "messages": [{"role": "user", "content": "ping"}], "max_tokens": 1}
    url = f"{base}/chat/completions"
    async with session.post(url, json=body, headers=headers, timeout=_TIMEOUT) as resp:
        return resp.status, await resp.content.read(64 * 1024)


def _auth_problem(status: int, base: str, key_env: str | None, body: bytes) -> str | None:
    if status in (401, 403):
        who = f"the key in ${key_env}" if key_env else "requests without a key"
        return f"{base} refused {who} (HTTP {status}: {_message(body)})"
    return None


async def _check_one(
    session: aiohttp.ClientSession,
    base: str,
    endpoints: list[tuple[str, Endpoint]],
    headers: dict[str, str],
) -> tuple[list[str], bool]:
    """The base URL's problems, and whether it answered at all."""
    key_env = endpoints[0][1].api_key_env
    try:
        status, body = await _get_models(session, base, headers)
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        reason = str(exc) or type(exc).__name__
        return [f"cannot reach {base} ({type(exc).__name__}: {reason})"], False
    problem = _auth_problem(status, base, key_env, body)
    if problem:
        return [problem], True
    ids = _ids(body) if status == 200 else None
    if ids is not None:  # a model list: check the ids (an empty list promises any id)
        return [
            f"{base} does not serve model {e.model!r} (asked for by {name!r}); it lists: "
            + ", ".join(ids[:8]) + (" …" if len(ids) > 8 else "")
            for name, e in endpoints
            if ids and e.model not in ids
        ], True
    problems = []
    for name, endpoint in endpoints:  # no model list: one tiny request per model
        try:
            status, body = await _ping(session, base, endpoint.model, headers)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return [f"cannot reach {base} ({type(exc).__name__})"], False
        problem = _auth_problem(status, base, key_env, body)
        if problem:
            problems.append(problem)
            break
        if status == 404 or (status == 400 and "model" in _message(body).lower()):
            problems.append(
                f"{base} does not know model {endpoint.model!r} (asked for by {name!r}): "
                f"HTTP {status}: {_message(body)}"
            )
    return problems, True


async def check_endpoints(
    session: aiohttp.ClientSession,
    endpoints: Mapping[str, Endpoint],
    headers_for: Any,
    secret_for: Any,
) -> Preflight:
    """Problems and warnings found, one line each (none when every endpoint looks usable)."""
    by_base: dict[tuple[str, str | None], list[tuple[str, Endpoint]]] = {}
    for name, endpoint in endpoints.items():
        for url in endpoint.urls:
            by_base.setdefault((url.rstrip("/"), endpoint.api_key_env), []).append((name, endpoint))
    found: dict[tuple[str, str | None], list[str]] = {}
    dead: set[str] = set()
    for key, group in by_base.items():
        secret = secret_for(group[0][1])
        lines, answered = await _check_one(session, key[0], group, headers_for(secret))
        found[key] = [redact(line, secret) for line in lines]
        if not answered:
            dead.add(key[0])

    def others(endpoint: Endpoint, base: str) -> int:
        return sum(u.rstrip("/") not in dead for u in endpoint.urls if u.rstrip("/") != base)

    problems: list[str] = []
    warnings: list[str] = []
    down: list[str] = []
    for key, group in by_base.items():
        base = key[0]
        if base in dead and all(others(e, base) for _, e in group):
            names = ", ".join(repr(n) for n, _ in group)
            plural = "s" if min(others(e, base) for _, e in group) > 1 else ""
            warnings += [f"{line}; {names} will use {'its' if len(group) == 1 else 'their'} "
                         f"other endpoint{plural}" for line in found[key]]
            down.append(base)
        else:
            problems += found[key]
    return Preflight(tuple(problems), tuple(warnings), tuple(down))
