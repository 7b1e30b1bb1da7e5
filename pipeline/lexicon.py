"""Dictionaries (placeholder)."""

from __future__ import annotations

from pipeline.config import CorrectionConfig


class Lexicon:
    """Placeholder lexicon."""


def load_lexicon(config: CorrectionConfig) -> Lexicon:
    """Load the lexicon."""
    return Lexicon()
