"""Stage 4: correction (placeholder: identity)."""

from __future__ import annotations

from pipeline.config import CorrectionConfig
from pipeline.lexicon import Lexicon
from pipeline.records import Transcript


def correct_transcript(
    transcript: Transcript, lexicon: Lexicon, config: CorrectionConfig
) -> Transcript:
    """Return the transcript unchanged."""
    return transcript
