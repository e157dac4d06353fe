"""Cost of one attempt from token counts and per-million-token prices."""

from __future__ import annotations


def attempt_cost(
    price_in: float | None,
    price_out: float | None,
    prompt_tokens: int | None,
    completion_tokens: int | None,
) -> float | None:
    """USD for one attempt; None when a price or the token usage is unknown.

    Reasoning tokens are not added on top: OpenAI-compatible usage already counts them
    inside `completion_tokens` (`completion_tokens_details.reasoning_tokens` is a part).
    """
    if price_in is None or price_out is None:
        return None
    if prompt_tokens is None and completion_tokens is None:
        return None  # the server reported no usage: unknown, not free
    return ((prompt_tokens or 0) * price_in + (completion_tokens or 0) * price_out) / 1e6
