"""The typer application; each command lives in its own module."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="papertiger",
    help="Is that benchmark score real? Shrinkage gaps between old and fresh benchmark versions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



@app.callback()
def _root() -> None:
    """Is that benchmark score real? Shrinkage gaps between old and fresh benchmark versions."""


from papertiger.cli import adoption as _adoption  # noqa: E402,F401
from papertiger.cli import report as _report  # noqa: E402,F401  (registers the command)
from papertiger.cli import run as _run  # noqa: E402,F401
