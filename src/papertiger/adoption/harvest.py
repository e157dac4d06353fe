"""Harvest arXiv metadata over OAI-PMH into the snapshot's JSON Lines shape, resumably.

One request at a time, at most one every `delay` seconds (arXiv's terms of use for its
APIs: no more than one request every three seconds, a single connection). A 503 or 429
is retried after the server's Retry-After; dropped connections and other 5xx with
exponential backoff (tenacity).

Nothing is lost or repeated across a kill: after each page the new records are appended
and fsynced, then a sidecar `OUT.state.json` records the resumption token and the output's
size at that moment (written atomically). A restart truncates whatever a killed run
appended after the last saved state, then asks for the saved token; records are also
de-duplicated by arXiv id, so a re-fetched page or a `--restart` writes no record twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import aiohttp
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from papertiger.adoption.oai import NAMESPACES, Page, parse_page
from papertiger.errors import (
    ConfigError,
    FatalProviderError,
    InputError,
    RateLimited,
    RetryableError,
)

ARXIV_OAI = "https://oaipmh.arxiv.org/oai"
ARXIV_DELAY = 3.0  # seconds between requests, per arXiv's API terms of use
MAX_RETRY_AFTER = 3600.0
USER_AGENT = "papertiger/0.1 (arXiv adoption harvester)"

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class HarvestOptions:
    """What to harvest and how politely. Dates select by OAI datestamp (last change)."""

    from_date: dt.date
    until: dt.date | None = None
    set_spec: str | None = "cs"
    prefix: str = "arXiv"
    base_url: str = ARXIV_OAI
    delay: float = ARXIV_DELAY
    retries: int = 8
    timeout: float = 180.0
    restart: bool = False

    def query(self) -> dict[str, str]:
        """The first request's parameters (later ones send only the resumption token)."""
        query = {
            "verb": "ListRecords",
            "metadataPrefix": self.prefix,
            "from": self.from_date.isoformat(),
        }
        if self.until is not None:
            query["until"] = self.until.isoformat()
        if self.set_spec:
            query["set"] = self.set_spec
        return query


@dataclass
class HarvestProgress:
    """Where a harvest stands; passed to `on_page` after every page and returned at the end."""

    out: Path
    pages: int = 0
    written: int = 0
    duplicates: int = 0
    deleted: int = 0
    retries: int = 0
    complete_list_size: int | None = None
    problems: list[str] = field(default_factory=list)
    resumed: bool = False
    truncated_bytes: int = 0
    complete: bool = False


def state_path(out: str | Path) -> Path:
    """The sidecar file that makes a harvest resumable: `OUT.state.json`."""
    out = Path(out)
    return out.with_name(out.name + ".state.json")


def harvest(
    out: str | Path,
    options: HarvestOptions,
    *,
    on_page: Callable[[HarvestProgress], None] | None = None,
    sleep: Sleep = asyncio.sleep,
) -> HarvestProgress:
    """Harvest into `out` (JSON Lines), resuming from `OUT.state.json` when it exists."""
    return asyncio.run(harvest_async(Path(out), options, on_page=on_page, sleep=sleep))


async def harvest_async(
    out: Path,
    options: HarvestOptions,
    *,
    on_page: Callable[[HarvestProgress], None] | None = None,
    sleep: Sleep = asyncio.sleep,
) -> HarvestProgress:
    """The harvest loop; `sleep` is injectable so tests can check waits without waiting."""
    _check(out, options)
    progress = HarvestProgress(out)
    state = None if options.restart else _load_state(out)
    if state is not None:
        if state["query"] != options.query():
            raise ConfigError(
                f"{state_path(out)} belongs to another harvest ({_describe(state['query'])}); "
                "use the same options, another --out, or --restart"
            )
        _restore(progress, state)
        if state["complete"]:
            return progress
    token: str | None = state["token"] if state else None
    progress.truncated_bytes = _prepare(out, state["size"] if state else None)
    seen = _read_ids(out)
    pacer = _Pacer(options.delay, sleep)
    headers = {"User-Agent": USER_AGENT}
    async with aiohttp.ClientSession(headers=headers) as session:
        while True:
            query = {"verb": "ListRecords", "resumptionToken": token} if token else options.query()
            body = await _fetch(session, options, query, pacer, sleep, progress)
            page = parse_page(body, options.prefix)
            _append(out, page, seen, progress)
            token = page.token
            progress.pages += 1
            progress.complete = token is None
            if page.complete_list_size is not None:
                progress.complete_list_size = page.complete_list_size
            _save_state(out, options, token, progress)
            if on_page is not None:
                on_page(progress)
            if token is None:
                return progress


def _check(out: Path, options: HarvestOptions) -> None:
    if options.prefix not in NAMESPACES:
        raise ConfigError(
            f"--metadata-prefix: one of {', '.join(NAMESPACES)}, not {options.prefix!r}"
        )
    if out.suffix in {".gz", ".zip", ".bz2"}:
        raise ConfigError(
            f"--out {out}: write plain JSON Lines (append-only); compress it afterwards"
        )
    if options.until is not None and options.until < options.from_date:
        raise ConfigError("--until is before --from")
    if options.delay < 0 or options.retries < 0:
        raise ConfigError("--delay and --retries cannot be negative")


def _describe(query: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in query.items() if k != "verb")


def _restore(progress: HarvestProgress, state: dict[str, Any]) -> None:
    progress.resumed = True
    progress.complete = bool(state["complete"])
    for key in ("pages", "written", "duplicates", "deleted", "complete_list_size"):
        setattr(progress, key, state.get(key, getattr(progress, key)))


def _load_state(out: Path) -> dict[str, Any] | None:
    path = state_path(out)
    if not path.exists():
        return None
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(state, dict):
            raise ValueError("not an object")
        for key in ("query", "token", "size", "complete"):
            if key not in state:
                raise ValueError(f"no '{key}'")
    except (OSError, ValueError) as exc:
        raise InputError(
            f"unreadable harvest state ({exc}); delete it or use --restart", path=str(path)
        ) from None
    return state


def _save_state(
    out: Path, options: HarvestOptions, token: str | None, progress: HarvestProgress
) -> None:
    """Atomically: a crash leaves the old state or the new one, never half of one."""
    state = {
        "query": options.query(),
        "token": token,
        "size": out.stat().st_size,
        "complete": token is None,
        **{
            k: getattr(progress, k)
            for k in ("pages", "written", "duplicates", "deleted", "complete_list_size")
        },
        "saved": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    path = state_path(out)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _prepare(out: Path, saved_size: int | None) -> int:
    """Cut what a killed run appended after its last saved state (or a torn last line)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists():
        if saved_size:
            raise InputError(
                f"the harvest state expects {saved_size} bytes here but the file is gone; use --restart",
                path=str(out),
            )
        out.touch()
        return 0
    size = out.stat().st_size
    keep = size if saved_size is None else saved_size
    if keep > size:
        raise InputError(
            f"shorter ({size} bytes) than the saved harvest state says ({keep}); was it edited? use --restart",
            path=str(out),
        )
    with out.open("r+b") as handle:
        if keep:
            handle.seek(keep - 1)
            if handle.read(1) != b"\n":  # a torn last line: keep only whole lines
                handle.seek(0)
                keep = handle.read(keep).rfind(b"\n") + 1
        handle.truncate(keep)
    return size - keep


def _read_ids(out: Path) -> set[str]:
    ids: set[str] = set()
    with out.open("rb") as handle:
        for line in handle:
            if line.startswith(b'{"id":"'):
                ids.add(line[7 : line.index(b'"', 7)].decode())
            elif line.strip():
                try:
                    ids.add(str(json.loads(line)["id"]))
                except (ValueError, KeyError, TypeError):
                    continue  # the reader reports bad lines; here they just cannot be duplicates
    return ids


def _append(out: Path, page: Page, seen: set[str], progress: HarvestProgress) -> None:
    lines = []
    for record in page.records:
        if record["id"] in seen:
            progress.duplicates += 1
            continue
        seen.add(record["id"])
        lines.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    with out.open("ab") as handle:
        handle.write("".join(lines).encode())
        handle.flush()
        os.fsync(handle.fileno())
    progress.written += len(lines)
    progress.deleted += page.deleted
    progress.problems.extend(f"page {progress.pages + 1}: {p}" for p in page.problems)


class _Pacer:
    """At most one request start every `delay` seconds."""

    def __init__(self, delay: float, sleep: Sleep) -> None:
        self.delay, self.sleep = delay, sleep
        self.last: float | None = None

    async def wait(self) -> None:
        if self.last is not None and self.delay > 0:
            remaining = self.delay - (time.monotonic() - self.last)
            if remaining > 0:
                await self.sleep(remaining)
        self.last = time.monotonic()


def _wait(state: RetryCallState) -> float:
    """The server's Retry-After when it gave one, else 1, 2, 4, ... seconds (at most 60)."""
    outcome = state.outcome
    error = outcome.exception() if outcome is not None else None
    if isinstance(error, RetryableError) and error.retry_after is not None:
        return min(max(error.retry_after, 0.0), MAX_RETRY_AFTER)
    return float(min(2 ** (state.attempt_number - 1), 60))


async def _fetch(  # noqa: PLR0913
    session: aiohttp.ClientSession,
    options: HarvestOptions,
    query: dict[str, str],
    pacer: _Pacer,
    sleep: Sleep,
    progress: HarvestProgress,
) -> bytes:
    def count(_: RetryCallState) -> None:
        progress.retries += 1

    retrying = AsyncRetrying(
        stop=stop_after_attempt(options.retries + 1),
        wait=_wait,
        retry=retry_if_exception_type(RetryableError),
        sleep=sleep,
        before_sleep=count,
        reraise=True,
    )
    try:
        async for attempt in retrying:
            with attempt:
                await pacer.wait()
                return await _get(session, options.base_url, query, options.timeout)
    except RetryableError as exc:
        raise RetryableError(
            f"{exc}; gave up after {options.retries + 1} tries (the harvest so far is saved: "
            "rerun the same command to resume)",
            status=exc.status,
        ) from None
    raise AssertionError("unreachable: tenacity either returns or raises")


async def _get(
    session: aiohttp.ClientSession, url: str, query: dict[str, str], timeout: float
) -> bytes:
    try:
        async with session.get(
            url, params=query, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as response:
            if response.status == 200:
                return await response.read()
            retry_after = _retry_after(response.headers.get("Retry-After"))
            message = f"HTTP {response.status} from {url}"
            if response.status == 429:
                raise RateLimited(message, retry_after=retry_after)
            if response.status >= 500:
                raise RetryableError(message, status=response.status, retry_after=retry_after)
            raise FatalProviderError(message, status=response.status)
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise RetryableError(f"{type(exc).__name__} from {url}: {exc}") from None


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
