"""``cable-ocr batch``: every cable under an archive folder -> a mirrored output tree."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pipeline.cli.app import app, split_option, with_given
from pipeline.errors import InterruptedRunError

if TYPE_CHECKING:
    from pipeline.batch.report import CableResult


def _line(result: CableResult) -> str:
    if result.status == "failed":
        return f"failed {result.cable}: {result.error}"
    conf = "" if result.mean_confidence is None else f", confidence {result.mean_confidence:.2f}"
    return (
        f"done {result.cable}: {result.pages} page(s), {result.words} words{conf}, "
        f"{result.flagged_words} flagged, {result.seconds:.1f} s"
    )


class PlainProgress:
    """One log line per cable finished or failed (for logs and pipes)."""

    def start(self, cables: int, pages: int) -> None:
        """Announce the work."""
        sys.stderr.write(f"batch: {cables} cable(s) to process, {pages} page(s)\n")

    def advance(self, pages: int) -> None:
        """Pages are not logged one by one."""

    def cable_done(self, result: CableResult) -> None:
        """Log the cable."""
        sys.stderr.write(_line(result) + "\n")
        sys.stderr.flush()


class RichProgress:
    """A progress bar with pages per second and time remaining (on a terminal)."""

    def __init__(self, bar: Any) -> None:
        self._bar = bar
        self._task = bar.add_task("pages", total=None)

    def start(self, cables: int, pages: int) -> None:
        """Set the total."""
        self._bar.update(self._task, total=pages, description=f"{cables} cable(s)")

    def advance(self, pages: int) -> None:
        """Move the bar."""
        self._bar.advance(self._task, pages)

    def cable_done(self, result: CableResult) -> None:
        """Print failed cables above the bar."""
        if result.status == "failed":
            self._bar.console.print(_line(result), markup=False, highlight=False)


def _rate_column_class() -> Any:
    from rich.progress import ProgressColumn, Task
    from rich.text import Text

    class RateColumn(ProgressColumn):
        """Pages per second, averaged over rich's speed window."""

        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text("-- pages/s" if speed is None else f"{speed:.2f} pages/s")

    return RateColumn


@contextmanager
def batch_progress(enabled: bool) -> Iterator[PlainProgress | RichProgress | None]:
    """A progress receiver suited to stderr, or ``None`` when disabled."""
    if not enabled:
        yield None
        return
    if not sys.stderr.isatty():
        yield PlainProgress()
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    _RateColumn = _rate_column_class()  # noqa: N806
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        _RateColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as bar:
        yield RichProgress(bar)


@app.command()
def batch(
    archive_dir: Annotated[
        Path,
        typer.Argument(help="Archive folder, searched recursively.", show_default=False),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output root folder.")],
    workers: Annotated[
        int | None,
        typer.Option(
            help="Local worker processes reading pages (default: [ocr] workers; 0 = all cores)."
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (needs [batch])."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Redo cables already done.")] = False,
    formats: Annotated[
        str | None,
        typer.Option(help="Comma-separated outputs: txt,json,csv,alto,hocr,pdf."),
    ] = None,
    config_file: Annotated[
        Path | None, typer.Option("--config", help="TOML configuration file.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Transcribe every cable under ARCHIVE_DIR into a mirrored tree under OUT.

    A PDF, a multi-page TIFF and a .txt transcript are one cable each; the page images of a
    folder are one cable, or several when their PAGE lines name different cables.
    ARCHIVE/box1/cable.pdf is written to OUT/box1/cable/. OUT also gets batch-summary.json,
    batch-summary.csv and a manifest: rerunning resumes after a crash or Ctrl-C, skipping
    cables already done with the same input and settings (--force redoes them).

    Exit codes: 0 every cable done (or up to date), 6 some cables failed, 8 every cable
    failed, 5 output folder not writable, 2 archive folder missing or without cables,
    130 interrupted (finished cables are kept).

    \b
    Example:
        cable-ocr batch /archive --out /transcripts --workers 4
    """  # noqa: D301 (\b keeps the example lines as written)
    from pipeline.batch import run_batch
    from pipeline.config import load_config, validate_config

    config = load_config(config_file)
    config = dataclasses.replace(
        config, output=with_given(config.output, formats=split_option(formats))
    )
    validate_config(config)
    try:
        with batch_progress(enabled=not quiet) as progress:
            report = run_batch(
                archive_dir,
                out,
                config,
                workers=workers,
                scheduler=scheduler,
                force=force,
                progress=progress,
            )
    except KeyboardInterrupt:
        raise InterruptedRunError(
            "interrupted; finished cables are kept, rerun to resume"
        ) from None
    typer.echo(report.summary_line())
    raise typer.Exit(int(report.exit_code))
