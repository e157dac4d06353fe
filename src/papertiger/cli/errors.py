"""How errors reach the user: one line on stderr, and for an ambiguous store, what it holds."""

from __future__ import annotations

import sys

from papertiger.errors import PapertigerError


def show_error(exc: PapertigerError) -> None:
    """Print `papertiger: error: ...`; a ConditionChoice first lists the store's holdings."""
    holdings = getattr(exc, "holdings", None)
    if holdings is not None and len(holdings):
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        table = Table(title="What the store holds (task solve)")
        for name in ("suite", "prompt", "condition", "sampling", "seed base", "models", "forms", "attempts", "runs"):
            table.add_column(name)
        for r in holdings[holdings["task"] == "solve"].to_dict("records"):
            runs = str(r.get("runs") or "")
            table.add_row(
                escape(str(r["suite"])),
                escape(f"{r['prompt_name']} ({str(r['prompt_hash'])[:8]})"),
                escape(str(r["condition"])),
                escape(str(r["sampling_json"])),
                escape("" if r["seed_base"] is None else str(r["seed_base"])),
                str(r["models"]),
                escape(str(r["forms"])),
                f"{int(r['attempts']):,}",
                escape(", ".join(run[:8] for run in runs.split(",") if run)),
            )
        Console(stderr=True, width=160).print(table)
    print(f"papertiger: error: {exc}", file=sys.stderr)
