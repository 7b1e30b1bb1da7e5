"""The library entry point: inputs -> ``Transcript`` -> output files.

The CLI, batch jobs and the review app call these functions; nothing here prints or exits.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.config import CorrectionConfig, PipelineConfig
from pipeline.outputs import check_formats, check_output_dir, write_outputs
from pipeline.records import OcrPage, PageRef, Transcript

if TYPE_CHECKING:
    from pipeline.lexicon import Lexicon

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


_LEXICONS: dict[tuple[object, ...], Lexicon] = {}


def lexicon_for(config: CorrectionConfig) -> Lexicon:
    """The dictionaries for ``config``, loaded once per process while their files are unchanged."""
    from pipeline.lexicon import load_lexicon, source_key

    key = (config, source_key(config))
    if key not in _LEXICONS:
        if _LEXICONS:
            _LEXICONS.clear()
            gc.unfreeze()  # the replaced dictionaries may be collected again
        _LEXICONS[key] = load_lexicon(config)
        # The dictionaries live as long as the process: keep the collector from walking
        # their millions of objects on every full collection, already while the corrector's
        # index is built from them (``candidate_index`` freezes the index in turn).
        gc.freeze()
    return _LEXICONS[key]


def assemble(pages: Sequence[OcrPage], config: PipelineConfig | None = None) -> Transcript:
    """Structure the pages into one cable and correct its words."""
    from pipeline.structure import build_transcript

    config = config or PipelineConfig()
    transcript = build_transcript(pages)
    if config.correction.enabled:
        from pipeline.correct import correct_transcript

        transcript = correct_transcript(
            transcript, lexicon_for(config.correction), config.correction
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
    """``transcribe`` and write the configured output formats into ``out_dir``.

    The output folder and the formats' dependencies are checked before any page is read.
    """
    config = config or PipelineConfig()
    check_formats(config.output.formats)
    check_output_dir(out_dir)
    transcript = transcribe(inputs, config, progress)
    return transcript, write_outputs(transcript, out_dir, config.output.formats)
