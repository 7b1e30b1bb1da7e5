"""Command-line interface: a thin shell over ``pipeline.api``.

This is the only place that turns ``PipelineError`` into a one-line message and an exit code.
"""

from __future__ import annotations

import os
import sys

import typer

from pipeline.cli import batch as _batch  # noqa: F401  (registers commands)
from pipeline.cli import evaluate as _evaluate  # noqa: F401  (registers commands)
from pipeline.cli import review as _review  # noqa: F401  (registers commands)
from pipeline.cli import transcribe as _transcribe  # noqa: F401  (registers commands)
from pipeline.cli.app import app
from pipeline.errors import ExitCode, PipelineError

__all__ = ["app", "main"]


def _fail(message: str, code: int) -> None:
    sys.stderr.write(f"cable-ocr: error: {message}\n")
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; exit with the documented exit code."""
    try:
        result = app(args=argv, prog_name="cable-ocr", standalone_mode=False)
    except PipelineError as exc:
        _fail(str(exc), int(exc.exit_code))
    except (typer.Abort, KeyboardInterrupt):
        _fail("interrupted", int(ExitCode.INTERRUPTED))
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - the one place a bug becomes a one-line error
        if type(exc).__name__ == "NoArgsIsHelpError":
            # ``cable-ocr`` alone: the help is what was asked for
            sys.stdout.write(exc.format_message() + "\n")  # type: ignore[attr-defined]
            sys.exit(int(ExitCode.OK))
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            # a usage error from the command-line parser (bad option, missing argument)
            _fail(exc.format_message(), int(ExitCode.BAD_ARGS))
        if os.environ.get("CABLE_OCR_DEBUG"):
            raise
        _fail(
            f"internal error: {type(exc).__name__}: {exc} (set CABLE_OCR_DEBUG=1 for details)",
            int(ExitCode.INTERNAL_ERROR),
        )
    code = result if isinstance(result, int) else 0
    if code == ExitCode.INTERRUPTED:
        # the parser turns Ctrl-C into this exit code before it reaches the handlers above
        _fail("interrupted", code)
    sys.exit(code)
