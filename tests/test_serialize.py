from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from pipeline.outputs import write_outputs
from pipeline.records import (
    Action,
    Box,
    FieldValue,
    PageInfo,
    PageRef,
    Source,
    Transcript,
    TranscriptWord,
    Zone,
)
from pipeline.serialize import WORDS_CSV_COLUMNS, read_transcript, transcript_to_json, words_csv

PAGE = PageRef("scan.pdf", 2, 1)


def _word(i: int, ocr: str, final: str, zone: Zone, para: int, **kw: object) -> TranscriptWord:
    return TranscriptWord(
        index=i,
        page=PAGE,
        line=para,
        box=Box(10 * i, 5, 9, 12),
        ocr_text=ocr,
        ocr_confidence=round(0.5 + i / 100, 2),
        final_text=final,
        zone=zone,
        paragraph=para,
        **kw,  # type: ignore[arg-type]
    )


def sample_transcript() -> Transcript:
    words = (
        _word(0, "FM", "FM", Zone.HEADER, 0),
        _word(1, "AMEMBASSY", "AMEMBASSY", Zone.HEADER, 0, section=1),
        _word(2, "SECRET", "SECRET", Zone.CLASSIFICATION, 1, action=Action.REMOVED),
        _word(3, "1.", "1.", Zone.BODY, 2),
        _word(
            4,
            "USZCXHIS",
            "USE THIS",
            Zone.BODY,
            2,
            action=Action.CORRECTED,
            source=Source.BURST,
            posterior=0.97,
            alternatives=("USE HIS", "US THIS"),
        ),
        _word(
            5,
            '"MAGEABLE"',
            '"MANAGEABLE"',
            Zone.BODY,
            2,
            action=Action.FLAGGED,
            source=Source.DICTIONARY,
            posterior=0.7,
            alternatives=('"MAGE ABLE"',),
        ),
        _word(6, "NON-", "NON-", Zone.BODY, 3),
        _word(7, "PROLIFERATION", "PROLIFERATION", Zone.BODY, 3, glue=""),
        _word(8, "MATLOCK", "MATLOCK", Zone.SIGNATURE, 4),
    )
    return Transcript(
        words=words,
        pages=(PageInfo(PAGE, 2550, 3300, 300, section=1, page_in_section=2),),
        header={"cable_id": FieldValue("MOSCOW 04648", 0.99, PAGE, 3, votes=7)},
        paragraph_kinds={2: "paragraph", 3: "list_item"},
        metadata={"archive_stamps": [{"text": "From the ARCHIVE", "page": 2}]},
        warnings=("section 03 of 07 missing",),
    )


def replay(csv_text: str) -> str:
    """Apply the log's corrections to the OCR words and rebuild the transcript text."""
    blocks: dict[tuple[str, str], list[tuple[str, str]]] = {}
    order: list[tuple[str, str]] = []
    for row in csv.DictReader(io.StringIO(csv_text)):
        if row["action"] == "removed":
            continue
        text = row["final_text"] if row["source"] else row["ocr_text"]
        key = (row["zone"], row["paragraph"])
        if key not in blocks:
            blocks[key] = []
            order.append(key)
        blocks[key].append((row["glue"], text))
    header = []
    rest = []
    for key in order:
        parts = [t if i == 0 else g + t for i, (g, t) in enumerate(x for x in blocks[key] if x[1])]
        (header if key[0] == "header" else rest).append("".join(parts))
    return "\n\n".join(["\n".join(header)] + rest) + "\n"


def test_log_rows_cover_every_word_and_column() -> None:
    rows = list(csv.DictReader(io.StringIO(words_csv(sample_transcript()))))
    assert [r["index"] for r in rows] == [str(i) for i in range(9)]
    assert set(rows[0]) == set(WORDS_CSV_COLUMNS)
    assert rows[4]["alternatives"] == "USE HIS|US THIS"
    assert rows[2]["action"] == "removed"
    assert rows[0]["page"] == "2" and rows[0]["source_page"] == "2"


def test_replaying_the_log_reproduces_the_transcript() -> None:
    transcript = sample_transcript()
    assert replay(words_csv(transcript)) == transcript.text()


def test_kept_words_are_unchanged_ocr_words() -> None:
    for row in csv.DictReader(io.StringIO(words_csv(sample_transcript()))):
        if not row["source"]:
            assert row["final_text"] == row["ocr_text"]


def test_outputs_round_trip(tmp_path: Path) -> None:
    transcript = sample_transcript()
    written = write_outputs(transcript, tmp_path, ("txt", "json", "csv"))
    assert sorted(p.name for p in written) == ["transcript.json", "transcript.txt", "words.csv"]
    assert not list(tmp_path.glob(".*tmp*"))
    again = read_transcript(tmp_path)
    assert again.words == transcript.words
    assert again.text() == transcript.text()
    assert transcript_to_json(again) == transcript_to_json(transcript)
    data = json.loads((tmp_path / "transcript.json").read_text())
    assert data["header"]["cable_id"] == "MOSCOW 04648"
    assert data["paragraphs"][1] == {"kind": "list_item", "text": "NON-PROLIFERATION"}
    assert data["signature"] == "MATLOCK"
