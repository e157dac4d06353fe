"""The last line against leaked keys: every text the runner stores passes this redactor.

The provider already removes its key from what a server echoes; the runner does it again
for every field of every attempt and for the run's description, with the values of every
key variable the run's models name, before anything reaches the store.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

from papertiger.schema import Attempt, ModelSpec

REDACTED = "[redacted]"
MIN_SECRET_LEN = 8
_TEXT_FIELDS = ("text", "reasoning", "finish_reason", "error", "raw")


class Redactor:
    """Replaces each secret (8 characters or more) by `[redacted]`."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LEN}, key=len, reverse=True)

    @classmethod
    def for_models(cls, models: Iterable[ModelSpec]) -> Redactor:
        """The values of every key variable the models name (read now, never stored)."""
        return cls(os.environ.get(m.api_key_env, "") for m in models if m.api_key_env)

    def text(self, value: str) -> str:
        for secret in self.secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value

    def attempt(self, attempt: Attempt) -> Attempt:
        """The attempt with every completion text field redacted (the same object if clean)."""
        if not self.secrets:
            return attempt
        c = attempt.completion
        update = {
            name: self.text(value)
            for name in _TEXT_FIELDS
            if isinstance(value := getattr(c, name), str) and any(s in value for s in self.secrets)
        }
        if not update:
            return attempt
        return attempt.model_copy(update={"completion": c.model_copy(update=update)})

    def json(self, value: Any) -> Any:
        """A JSON-able value with every string redacted (for the run's stored description)."""
        if not self.secrets:
            return value
        return json.loads(self.text(json.dumps(value, default=str)))
