"""One exception tree for papertiger.

    PapertigerError                 base; the CLI prints its message and exits non-zero
    ├── InputError                  bad user input (CSV, TOML, JSONL); names file, line, field
    ├── ConfigError                 inconsistent options or catalogue entries
    ├── StoreError                  results-store problems (schema, locking)
    └── ProviderError               a request to a model endpoint failed
        ├── RetryableError          worth another try (429, 5xx, timeouts, dropped connections)
        │   └── RateLimited         429, with the server's Retry-After when it sent one
        └── FatalProviderError      retrying cannot fix it (400, 401, 404, bad payloads)

Retryability is a type, never a string match on a message.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "FatalProviderError",
    "InputError",
    "PapertigerError",
    "ProviderError",
    "RateLimited",
    "RetryableError",
    "StoreError",
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


class StoreError(PapertigerError):
    """The results store cannot be read or written as asked."""


class ProviderError(PapertigerError):
    """A request to a model endpoint failed."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class RetryableError(ProviderError):
    """A failure worth retrying: 5xx, timeouts, dropped connections, cut streams.

    `retry_after` is the server's Retry-After in seconds when it sent one (a 503 may).
    """

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, status=status)


class RateLimited(RetryableError):
    """HTTP 429; `retry_after` is the server's Retry-After in seconds, if given."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, status=429, retry_after=retry_after)


class FatalProviderError(ProviderError):
    """A failure no retry can fix: bad request, authentication, unknown model."""
