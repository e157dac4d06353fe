"""The budget: spent cost never exceeds `--max-cost`, because attempts in flight are paid for
in advance.

Before an attempt is sent, its worst case is reserved: every prompt byte as a token (a
token covers at least one byte) plus a margin for the chat template, at the input price,
and `max_tokens` at the output price. An attempt is sent only if what is spent plus what is
reserved stays within the cap; when it finishes its reservation is replaced by its real
cost. So the store, the summary and the message agree on one number, which is at most the
cap.
"""

from __future__ import annotations

from papertiger.runner.plan import WorkItem

TEMPLATE_MARGIN_TOKENS = 64


def worst_case_cost(item: WorkItem) -> float:
    """The most one attempt can cost (needs prices and max_tokens, checked at the edge)."""
    model = item.model
    prompt_tokens = len(item.request.prompt_text().encode("utf-8")) + TEMPLATE_MARGIN_TOKENS
    output_tokens = model.max_tokens or 0
    return (prompt_tokens * (model.price_in or 0.0) + output_tokens * (model.price_out or 0.0)) / 1e6


class Budget:
    """Reservations against the cap; `reason` is set once scheduling must stop."""

    def __init__(self, max_cost: float | None) -> None:
        self.max_cost = max_cost
        self.spent = 0.0
        self.reserved = 0.0
        self.reason: str | None = None
        self._held: dict[str, float] = {}

    def reserve(self, item: WorkItem) -> bool:
        """Hold the attempt's worst case; False (and stop) when it would pass the cap."""
        if self.max_cost is None:
            return True
        need = worst_case_cost(item)
        if self.spent + self.reserved + need > self.max_cost:
            if self.reason is None:
                self.reason = "max-cost"
            return False
        self._held[item.request.key] = need
        self.reserved += need
        return True

    def release(self, item: WorkItem) -> None:
        """The attempt finished: its reservation gives way to its real cost (`add`)."""
        self.reserved -= self._held.pop(item.request.key, 0.0)

    def unknown(self, model: str) -> None:
        """A reply without token usage: spending can no longer be tracked, so stop."""
        if self.max_cost is not None and self.reason is None:
            self.reason = f"usage:{model}"

    def add(self, cost: float | None) -> None:
        self.spent += cost or 0.0

    def final_message(self) -> str:
        """What stopped the run, with the money spent (the same figure the store holds)."""
        cap = self.max_cost or 0.0
        if self.reason and self.reason.startswith("usage:"):
            model = self.reason.split(":", 1)[1]
            return (
                f"--max-cost: {model}'s server reported no token usage, so spending could not "
                f"be tracked; stopped at ${self.spent:.4f} of ${cap:.4f}"
            )
        return (
            f"--max-cost ${cap:.4f} reached: spent ${self.spent:.4f}; the next attempt could "
            "have passed the cap"
        )
