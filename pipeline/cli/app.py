"""The typer application object and the option helpers shared by the command modules."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, TypeVar

import typer

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_T = TypeVar("_T", bound="DataclassInstance")

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


def split_option(value: str | None) -> tuple[str, ...] | None:
    """A comma-separated option as a tuple (``None`` when the option was not given)."""
    if value is None:
        return None
    return tuple(part.strip() for part in value.split(",") if part.strip())


def with_given(section: _T, **changes: Any) -> _T:
    """``section`` with the options the user gave (``None`` = not given) replaced."""
    return dataclasses.replace(section, **{k: v for k, v in changes.items() if v is not None})
