"""The typer application object shared by the command modules."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="cable-ocr",
    help="Turn scans of diplomatic cables into one corrected, merged transcript "
    "with a per-word confidence log.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _root() -> None:
    """Turn scans of diplomatic cables into one corrected, merged transcript.

    Exit codes: 0 ok, 1 bad arguments, 2 input error, 3 missing dependency, 4 dictionary error,
    5 output error, 6 some cables failed, 7 not one coherent cable, 8 all cables failed,
    15 internal error, 130 interrupted.
    """
