from __future__ import annotations

import pytest

from pipeline.records import Action, Box, PageRef, Transcript, TranscriptWord, Zone


def word(index: int, text: str, zone: Zone, paragraph: int, **kw: object) -> TranscriptWord:
    return TranscriptWord(
        index=index,
        page=PageRef("p.png", 1, 0),
        line=paragraph,
        box=None,
        ocr_text=text,
        ocr_confidence=0.9,
        final_text=str(kw.pop("final", text)),
        zone=zone,
        paragraph=paragraph,
        **kw,  # type: ignore[arg-type]
    )


def test_box_rejects_negative() -> None:
    with pytest.raises(ValueError):
        Box(0, -1, 3, 3)
    assert Box(1, 2, 3, 4).right == 4


def test_text_is_derived_from_words() -> None:
    words = (
        word(0, "FM", Zone.HEADER, 0),
        word(1, "AMEMBASSY", Zone.HEADER, 0),
        word(2, "TO", Zone.HEADER, 1),
        word(3, "SECRET", Zone.CLASSIFICATION, 2, action=Action.REMOVED),
        word(4, "1.", Zone.BODY, 3),
        word(5, "NON-", Zone.BODY, 3),
        word(6, "PROLIFERATION", Zone.BODY, 3, glue=""),
        word(7, "USZCXHIS", Zone.BODY, 4, final="USE THIS", action=Action.CORRECTED),
        word(8, "S", Zone.BODY, 4, final="", action=Action.CORRECTED),
        word(9, "MATLOCK", Zone.SIGNATURE, 5),
    )
    transcript = Transcript(words=words)
    assert transcript.header_lines() == ["FM AMEMBASSY", "TO"]
    assert transcript.body_paragraphs() == ["1. NON-PROLIFERATION", "USE THIS"]
    assert transcript.text() == "FM AMEMBASSY\nTO\n\n1. NON-PROLIFERATION\n\nUSE THIS\n\nMATLOCK\n"


def test_removed_words_never_reach_the_text() -> None:
    words = (word(0, "PAGE", Zone.BODY, 0, action=Action.REMOVED), word(1, "A", Zone.BODY, 0))
    assert Transcript(words=words).text() == "A\n"
    assert Transcript(words=()).text() == ""
