"""One exception tree for papertiger.

    PapertigerError                 base; the CLI prints its message and exits non-zero
    ├── InputError                  bad user input (CSV, TOML, JSONL); names file, line, field
    ├── ConfigError                 inconsistent options or catalogue entries
    │   └── MissingExtra            an optional dependency is not installed (names the extra)
    ├── StoreError                  results-store problems (schema, locking)
    └── ProviderError               a request to a model endpoint failed
        ├── RetryableError          worth another try (429, 5xx, timeouts, dropped connections)
        │   └── RateLimited         429, with the server's Retry-After when it sent one
        └── FatalProviderError      retrying cannot fix it (400, 401, 404, bad payloads)
            └── BadReply            a 200 reply of a shape no OpenAI-compatible API sends

Retryability is a type, never a string match on a message.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = [
    "BadReply",
    "ConfigError",
    "MissingExtra",
    "FatalProviderError",
    "InputError",
    "PapertigerError",
    "ProviderError",
    "RateLimited",
    "RetryableError",
    "StoreError",
    "require",
]


class PapertigerError(Exception):
    """Base of every error papertiger raises on purpose."""


class InputError(PapertigerError):
    """Bad input data; the message names the file, line and field."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.field = field
        where = []
        if path is not None:
            where.append(str(path))
        if line is not None:
            where.append(f"line {line}")
        if field is not None:
            where.append(f"column '{field}'")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ConfigError(PapertigerError):
    """Options or configuration that cannot work together."""


class MissingExtra(ConfigError):
    """A command needs an optional dependency; the message says which extra installs it."""


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import `module`, or say in one line which extra `feature` needs."""
    try:
        return importlib.import_module(module)
    except ImportError:
        package = module.split(".")[0]
        raise MissingExtra(
            f"{feature} needs the optional package '{package}': pip install 'papertiger[{extra}]'"
        ) from None


class StoreError(PapertigerError):
    """The results store cannot be read or written as asked."""


class ProviderError(PapertigerError):
    """A request to a remote service (a model endpoint, arXiv's OAI-PMH) failed.

    `code` classifies it for summaries: `http_<status>` when the server answered with a
    status, else what the raiser says (`connection`, `timeout`, `bad_reply`, ...).
    """

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        self.status = status
        self.code = code or (f"http_{status}" if status is not None else None)
        super().__init__(message)


class RetryableError(ProviderError):
    """A failure worth retrying: 5xx, timeouts, dropped connections, cut streams.

    `retry_after` is the server's Retry-After in seconds when it sent one (a 503 may).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        code: str | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, status=status, code=code)


class RateLimited(RetryableError):
    """HTTP 429; `retry_after` is the server's Retry-After in seconds, if given."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, status=429, retry_after=retry_after)


class FatalProviderError(ProviderError):
    """A failure no retry can fix: bad request, authentication, unknown model."""


class BadReply(FatalProviderError):
    """A reply whose shape no OpenAI-compatible API produces (content an integer, ...)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="bad_reply")
