"""What came back for one attempt: text, reasoning, usage, timings, or the error."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

CompletionStatus = Literal["ok", "error"]


class Completion(BaseModel):
    """One finished attempt. A failed request has status 'error' and no model text.

    Timings: `queue_s` from scheduling to the request being written, `latency_s` from
    then to the last byte, `ttft_s` from then to the first content or reasoning token.
    `error_code` classifies a failure for summaries and for stopping a hopeless endpoint:
    `http_<status>`, `connection`, `timeout`, `bad_reply`, `no_key`, `internal`, and for
    the offline engine `engine_start`, `engine`, `bad_request`.
    """

    model_config = ConfigDict(frozen=True)

    key: str
    status: CompletionStatus
    text: str | None = None
    reasoning: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    latency_s: float | None = None
    queue_s: float | None = None
    ttft_s: float | None = None
    output_tokens_per_s: float | None = None
    retries: int = 0
    error: str | None = None
    error_code: str | None = None
    raw: str | None = None
