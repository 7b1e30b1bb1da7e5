"""Stage 1 orchestration: inputs -> ``OcrPage`` records (placeholder: text input only)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from pipeline.config import PipelineConfig
from pipeline.errors import InputError
from pipeline.records import OcrPage, OcrWord, PageRef


def read_pages(
    inputs: Sequence[Path],
    config: PipelineConfig,
    progress: Callable[[PageRef, int, int], None] | None = None,
) -> list[OcrPage]:
    """Read every input into pages."""
    pages = []
    for index, path in enumerate(inputs):
        if not path.is_file():
            raise InputError(f"{path}: file not found")
        ref = PageRef(str(path), 1, index)
        words = tuple(
            OcrWord(token, None, None, number)
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines())
            for token in line.split()
        )
        pages.append(OcrPage(ref=ref, words=words))
        if progress:
            progress(ref, index + 1, len(inputs))
    return pages
