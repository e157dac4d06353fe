"""The typer application; each command lives in its own module."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(
    name="papertiger",
    help="Is that benchmark score real? Shrinkage gaps between old and fresh benchmark versions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            installed = version("papertiger")
        except PackageNotFoundError:  # pragma: no cover - run from a source tree
            installed = "unknown"
        typer.echo(f"papertiger {installed}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Is that benchmark score real? Shrinkage gaps between old and fresh benchmark versions."""


from papertiger.cli import adoption as _adoption  # noqa: E402,F401
from papertiger.cli import dedup as _dedup  # noqa: E402,F401
from papertiger.cli import imports as _imports  # noqa: E402,F401
from papertiger.cli import probe as _probe  # noqa: E402,F401
from papertiger.cli import report as _report  # noqa: E402,F401  (registers the command)
from papertiger.cli import run as _run  # noqa: E402,F401
from papertiger.cli import serve as _serve  # noqa: E402,F401
from papertiger.cli import store_commands as _store_commands  # noqa: E402,F401
