"""Stage 3: cable structure (placeholder: every line is body)."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.records import OcrPage, PageInfo, Transcript, TranscriptWord, Zone


def build_transcript(pages: Sequence[OcrPage]) -> Transcript:
    """Turn pages into a transcript."""
    words = []
    for page in pages:
        for line in page.lines():
            for w in line:
                words.append(
                    TranscriptWord(
                        index=len(words), page=page.ref, line=w.line, box=w.box,
                        ocr_text=w.text, ocr_confidence=w.confidence, final_text=w.text,
                        zone=Zone.BODY, paragraph=w.line,
                    )
                )
    return Transcript(words=tuple(words), pages=tuple(PageInfo(p.ref) for p in pages))
