"""The `papertiger` command: parse → one library call → render → exit code.

This is the only layer that prints or sets exit codes. Every PapertigerError, usage error
and operating-system error becomes one clear line on stderr and exit status 2 — never a
traceback. Usage errors are recognised by their class names, whichever copy of click the
installed typer carries (typer 0.29 bundles its own as `typer._click`).
"""

from __future__ import annotations

import os
import sqlite3
import sys

from papertiger.cli.app import app
from papertiger.errors import PapertigerError

__all__ = ["app", "main"]


def _kinds(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _usage_error(exc: BaseException) -> int | None:
    """Handle click's own exceptions (any copy of click); None when `exc` is not one."""
    kinds = _kinds(exc)
    ctx = getattr(exc, "ctx", None)
    if "NoArgsIsHelpError" in kinds and ctx is not None:
        print(ctx.get_help())
        return 2
    if "Exit" in kinds:
        return int(getattr(exc, "exit_code", 0) or 0)
    if "Abort" in kinds:
        print("papertiger: aborted", file=sys.stderr)
        return 130
    if "ClickException" in kinds:
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        message = " ".join(str(message).split())
        print(f"papertiger: error: {message}{where}", file=sys.stderr)
        return 2
    return None


def _os_error(exc: OSError) -> str:
    name = exc.filename if exc.filename is not None else ""
    reason = exc.strerror or str(exc)
    hint = {
        28: "free some space on that disk; everything committed before is kept",
        30: "the file system is read-only; write somewhere else",
        13: "check the file's permissions",
    }.get(exc.errno or 0, "")
    return ", ".join(p for p in (f"{name}: {reason}" if name else reason, hint) if p)


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
    except OSError as exc:
        print(f"papertiger: error: {_os_error(exc)}", file=sys.stderr)
        sys.exit(2)
    except sqlite3.Error as exc:
        print(f"papertiger: error: SQLite: {exc}", file=sys.stderr)
        sys.exit(2)
    except Exception as exc:
        code = _usage_error(exc)
        if code is None:
            raise
        sys.exit(code)
    if isinstance(code, int) and code:
        sys.exit(code)
