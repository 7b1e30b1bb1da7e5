"""The library entry point: inputs -> ``Transcript`` -> output files.

The CLI, batch jobs and the review app call these functions; nothing here prints or exits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from pipeline.config import PipelineConfig
from pipeline.outputs import write_outputs
from pipeline.records import OcrPage, PageRef, Transcript

ProgressCallback = Callable[[PageRef, int, int], None]
"""Called after each page is read: (page, pages done, pages total)."""


def read(
    inputs: Sequence[Path],
    config: PipelineConfig | None = None,
    progress: ProgressCallback | None = None,
) -> list[OcrPage]:
    """Ingest, preprocess and OCR the inputs (text transcripts are tokenized, not OCR'd)."""
    from pipeline.read import read_pages

    return read_pages(list(inputs), config or PipelineConfig(), progress)


def assemble(pages: Sequence[OcrPage], config: PipelineConfig | None = None) -> Transcript:
    """Structure the pages into one cable and correct its words."""
    from pipeline.structure import build_transcript

    config = config or PipelineConfig()
    transcript = build_transcript(pages)
    if config.correction.enabled:
        from pipeline.correct import correct_transcript
        from pipeline.lexicon import load_lexicon

        transcript = correct_transcript(
            transcript, load_lexicon(config.correction), config.correction
        )
    return transcript


def transcribe(
    inputs: Sequence[Path],
    config: PipelineConfig | None = None,
    progress: ProgressCallback | None = None,
) -> Transcript:
    """Turn the scans or transcripts of one cable into a merged, corrected ``Transcript``."""
    config = config or PipelineConfig()
    return assemble(read(inputs, config, progress), config)


def transcribe_to(
    inputs: Sequence[Path],
    out_dir: Path,
    config: PipelineConfig | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[Transcript, list[Path]]:
    """``transcribe`` and write the configured output formats into ``out_dir``."""
    config = config or PipelineConfig()
    transcript = transcribe(inputs, config, progress)
    return transcript, write_outputs(transcript, out_dir, config.output.formats)
