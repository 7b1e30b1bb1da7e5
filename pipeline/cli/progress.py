"""Progress reporting: a rich bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pipeline.records import PageRef


@contextmanager
def page_progress(enabled: bool = True) -> Iterator[Callable[[PageRef, int, int], None] | None]:
    """Yield a per-page progress callback (or ``None`` when disabled)."""
    if not enabled:
        yield None
        return
    if not sys.stderr.isatty():

        def plain(ref: PageRef, done: int, total: int) -> None:
            sys.stderr.write(f"page {done}/{total} done: {ref.label()}\n")

        yield plain
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task("pages", total=None)

        def update(ref: PageRef, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=ref.label()[-40:])

        yield update
