"""The `papertiger` command: parse → one library call → render → exit code.

This is the only layer that prints or sets exit codes. Every PapertigerError becomes one
clear line on stderr and exit status 2 — never a traceback.
"""

from __future__ import annotations

import os
import sys

from papertiger.cli.app import app
from papertiger.errors import PapertigerError

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the `papertiger` script and `python -m papertiger`."""
    try:
        code = app(standalone_mode=False)  # click returns typer.Exit's code in this mode
    except PapertigerError as exc:
        from papertiger.cli.errors import show_error

        show_error(exc)
        sys.exit(2)
    except KeyboardInterrupt:
        print("papertiger: interrupted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:  # e.g. `papertiger report | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except SystemExit:
        raise
    except Exception as exc:  # click's own usage errors arrive here in non-standalone mode
        from click import ClickException
        from click.exceptions import Abort, Exit

        if isinstance(exc, Exit):
            sys.exit(exc.exit_code)
        if isinstance(exc, Abort):
            print("papertiger: aborted", file=sys.stderr)
            sys.exit(130)
        if isinstance(exc, ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    if isinstance(code, int) and code:
        sys.exit(code)
