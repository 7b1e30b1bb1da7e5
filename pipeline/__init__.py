"""cable-ocr: scans of diplomatic cables to one corrected, merged transcript.

The public API::

    from pipeline import transcribe, PipelineConfig
    transcript = transcribe([Path("scan.pdf")], PipelineConfig())
    print(transcript.text())
"""

from __future__ import annotations

from pipeline.api import assemble, read, transcribe, transcribe_to
from pipeline.config import PipelineConfig, load_config
from pipeline.records import Transcript

__all__ = [
    "PipelineConfig",
    "Transcript",
    "assemble",
    "load_config",
    "read",
    "transcribe",
    "transcribe_to",
]
