"""build_transcript end to end: the seed cable, scans in any order, gaps, bad input."""

from __future__ import annotations

import json
import random
import re
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_structure_fixtures import (
    REFERENCE,
    ROOT,
    mini_cable,
    scan_page,
    scan_pages,
    seed_text,
    split_at_page_lines,
    text_page,
)

from pipeline.errors import CableError
from pipeline.records import Action, OcrPage, Source, Transcript, Zone
from pipeline.serialize import transcript_to_json
from pipeline.structure import build_transcript

SCHEMA = json.loads((ROOT / "schemas" / "transcript.schema.json").read_text(encoding="utf-8"))
BOILERPLATE = re.compile(
    r"\bPAGE \d\d\b|\bSECRET SECRET\b|^SECRET$|\bCat\.|Reviewed|NATIONAL SECURITY ARCHIVE"
)


@pytest.fixture(scope="module")
def seed() -> Transcript:
    return build_transcript([text_page(seed_text(), "seed.txt")])


def numbers(transcript: Transcript) -> list[int]:
    return [
        int(m.group(1))
        for p in transcript.body_paragraphs()
        if (m := re.match(r"^(\d{1,2})\. ", p))
    ]


def test_seed_paragraphs_in_order(seed: Transcript) -> None:
    assert numbers(seed) == list(range(1, 30))
    assert not [p for p in seed.body_paragraphs() if BOILERPLATE.search(p)]


def test_seed_header_fields(seed: Transcript) -> None:
    values = {key: field.value for key, field in seed.header.items()}
    assert values == {
        "cable_id": "MOSCOW 04648",
        "post": "MOSCOW",
        "number": "04648",
        "sections": 7,
        "precedence": "P",
        "dtg": "221518Z FEB 89",
        "from": "AMEMBASSY MOSCOW",
        "to": "SECSTATE WASHDC",
        "classification": "SECRET",
        "caption": "NODIS",
        "eo": "E.O. 12356: DECL: OADR",
        "tags": ["PREL", "UR"],
        "subject": "U.S.-SOVIET RELATIONS: POLICY OPPORTUNITIES",
        "ref": "(A) MOSCOW 2962, (B) MOSCOW 3850",
    }
    assert seed.header["dtg"].votes == 7
    assert seed.header["cable_id"].page is not None


def test_seed_header_block_and_signature(seed: Transcript) -> None:
    assert seed.header_lines()[0] == "P 221518Z FEB 89 ZFF4"
    assert seed.header_lines()[3] == "SECRET SECTION 01 OF 07 MOSCOW 04648"
    assert seed.signature() == "MATLOCK"
    assert seed.body_paragraphs()[-1].endswith("CURRENTLY AVOWED ASPIRATIONS.")


@pytest.mark.skipif(not REFERENCE.is_file(), reason="reference transcript not present")
def test_seed_matches_reference_structure(seed: Transcript) -> None:
    blocks = [b for b in REFERENCE.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    assert seed.header_lines() == blocks[0].strip().splitlines()
    assert len(seed.body_paragraphs()) == len(blocks) - 2


def test_every_word_once_in_reading_order(seed: Transcript) -> None:
    page = text_page(seed_text())
    real = [w for w in seed.words if w.page is not None]
    assert len(real) == len(page.words)
    assert [w.index for w in seed.words] == list(range(len(seed.words)))
    assert sorted(w.ocr_text for w in real) == sorted(w.text for w in page.words)


def test_seed_zones_and_metadata(seed: Transcript) -> None:
    zones = {w.zone for w in seed.words}
    assert {
        Zone.HEADER,
        Zone.HEADER_REPEAT,
        Zone.PAGE_HEADER,
        Zone.CLASSIFICATION,
        Zone.ARCHIVE_STAMP,
        Zone.REVIEW_BOX,
        Zone.STRAY,
        Zone.SIGNATURE,
    } <= zones
    inline = [w for w in seed.words if w.ocr_text == "SECRET" and w.zone is Zone.CLASSIFICATION]
    assert inline and all(w.action is Action.REMOVED for w in inline)
    assert not [p for p in seed.body_paragraphs() if "SOVIET SECRET" in p]
    stray = {w.ocr_text for w in seed.words if w.zone is Zone.STRAY}
    assert {"87", "—", "✓", "-----"} <= stray
    assert any(
        box["lines"][0] == "[unclear]" or "[unclear]" in box["lines"]
        for box in seed.metadata["review_boxes"]
    )
    meta = seed.metadata
    assert len(meta["review_boxes"]) >= 5
    assert any(box["date"] == "9/8/94" for box in meta["review_boxes"])
    assert any("NATIONAL SECURITY ARCHIVE" in s["text"] for s in meta["archive_stamps"])
    assert [r["section"] for r in meta["routing"]] == list(range(1, 8))
    assert meta["routing"][0]["checksum_ok"] is True
    assert meta["sections"][0]["to_serial"] == "5887"


def test_letter_spaced_classification_merged() -> None:
    pages = [scan_page(t, f"p{i}.png", i) for i, t in enumerate(mini_cable())]
    transcript = build_transcript(pages)
    assert "SECRET SECTION 01 OF 02 BONN 01234" in transcript.header_lines()
    start = next(w.index for w in transcript.words if w.zone is Zone.HEADER and w.ocr_text == "S")
    merged = transcript.words[start : start + 6]
    assert "".join(w.ocr_text for w in merged) == "SECRET"
    assert merged[0].final_text == "SECRET" and merged[0].source is Source.STRUCTURE
    assert [w.final_text for w in merged[1:]] == [""] * 5
    assert all(w.action is Action.CORRECTED for w in merged)


def test_shuffled_scans_give_same_transcript(seed: Transcript) -> None:
    texts = split_at_page_lines(seed_text())
    order = list(range(len(texts)))
    random.Random(3).shuffle(order)
    shuffled = build_transcript(scan_pages(texts, order))
    straight = build_transcript(scan_pages(texts))
    assert shuffled.text() == straight.text()
    assert numbers(shuffled) == list(range(1, 30))
    assert shuffled.header_lines() == seed.header_lines()
    assert [p.section for p in shuffled.pages][:3] == [1, 1, 1]


def test_body_continues_across_page_and_section(tmp_path: Path) -> None:
    transcript = build_transcript(scan_pages(mini_cable(), [2, 0, 1]))
    body = transcript.body_paragraphs()
    assert "OF MANY OTHER THINGS THAT GO ON ACROSS THE PAGE BREAK" in body[1]
    assert body[2] == (
        "3. THE THIRD PARAGRAPH IS CUT AT THE END OF THE FIRST SECTION AND GOES "
        "ON IN THE SECOND ONE."
    )
    assert transcript.signature() == "SMITH"


def test_hyphen_joined_and_kept() -> None:
    transcript = build_transcript(scan_pages(mini_cable()))
    assert "NON-PROLIFERATION AND" in transcript.body_paragraphs()[1]
    joined = next(w for w in transcript.words if w.ocr_text == "PROLIFERATION")
    assert joined.glue == ""


def test_missing_section_gives_gap() -> None:
    texts = split_at_page_lines(seed_text())
    kept = [t for t in texts if not re.search(r"MOSCOW\s+04648\s+03\s+OF\s+07", t)]
    assert len(kept) == len(texts) - 3
    transcript = build_transcript(scan_pages(kept))
    assert "section 03 of 07 missing" in transcript.warnings
    gap = [w for w in transcript.words if w.final_text == "[GAP: SECTION 03 OF 07 MISSING]"]
    assert len(gap) == 1 and gap[0].page is None and gap[0].source is Source.STRUCTURE
    assert gap[0].paragraph is not None
    assert transcript.paragraph_kinds[gap[0].paragraph] == "gap"
    assert "[GAP: SECTION 03 OF 07 MISSING]" in transcript.body_paragraphs()


def test_missing_page_gives_gap() -> None:
    texts = split_at_page_lines(seed_text())
    kept = [t for t in texts if not re.search(r"PAGE 02\s+MOSCOW 04648 02 OF 07", t)]
    transcript = build_transcript(scan_pages(kept))
    assert "[GAP: SECTION 02 PAGE 02 MISSING]" in transcript.body_paragraphs()
    assert "section 02 page 02 missing" in transcript.warnings
    assert numbers(transcript) == [n for n in range(1, 30) if n not in (10, 11)]
    assert "paragraph numbering has gaps: 10, 11 missing" in transcript.warnings


def test_duplicate_page_dropped() -> None:
    texts = mini_cable()
    pages = scan_pages([texts[0], texts[1], texts[1], texts[2]])
    transcript = build_transcript(pages)
    assert any(w.startswith("duplicate page dropped") for w in transcript.warnings)
    assert transcript.text() == build_transcript(scan_pages(texts)).text()
    from_dup = [w for w in transcript.words if w.page is not None and w.page.index == 2]
    assert from_dup and all(w.action is Action.REMOVED for w in from_dup)


def test_two_cables_refused() -> None:
    first = mini_cable()
    other = mini_cable(post="STATE", number="024976", fm="STATE")
    with pytest.raises(CableError, match="input mixes cables BONN 01234 and STATE 024976"):
        build_transcript(scan_pages([first[0], first[1], other[2]]))


def test_one_misread_cable_number_is_not_a_second_cable() -> None:
    texts = mini_cable()
    texts[1] = texts[1].replace("BONN 01234", "BONN 01284")
    transcript = build_transcript(scan_pages(texts))
    assert transcript.header["cable_id"].value == "BONN 01234"


def test_contradictory_counts_majority_wins() -> None:
    texts = mini_cable()
    texts[1] = texts[1].replace("01 OF 02", "01 OF 03")
    transcript = build_transcript(scan_pages(texts))
    assert transcript.header["sections"].value == 2
    assert any(w.startswith("contradictory section counts") for w in transcript.warnings)


def test_contradictory_counts_without_majority_refused() -> None:
    texts = mini_cable()
    texts[0] = texts[0].replace("01 OF 02", "01 OF 03")
    with pytest.raises(CableError, match="contradictory section counts 03 and 02"):
        build_transcript(scan_pages([texts[0], texts[2]]))


def test_non_cable_text() -> None:
    letter = (
        "Dear Mr. Ambassador,\n\nThank you for your letter of May 3.\n"
        "We shall meet on Tuesday.\n\nYours sincerely,\nJohn Smith\n"
    )
    transcript = build_transcript([text_page(letter, "letter.txt")])
    assert "no cable header found" in transcript.warnings
    assert transcript.body_paragraphs()[0] == "Dear Mr. Ambassador,"
    assert "Thank you for your letter of May 3. We shall meet on Tuesday." in (
        transcript.body_paragraphs()
    )
    assert not transcript.header


def test_unreadable_headers_warn_and_keep_body() -> None:
    text = "SECRET\nTHE TEXT OF A CABLE WITHOUT ANY HEADER.\n\n2. SECOND PARAGRAPH.\nSECRET\n"
    transcript = build_transcript([text_page(text)])
    assert "no cable header found" in transcript.warnings
    assert transcript.body_paragraphs() == [
        "THE TEXT OF A CABLE WITHOUT ANY HEADER.",
        "2. SECOND PARAGRAPH.",
    ]


def test_consensus_outvotes_bad_kept_copy() -> None:
    texts = mini_cable()
    texts[0] = texts[0].replace("O 101130Z MAR 88 ZFF4", "O 1011302 MAR 883")
    texts[0] = texts[0].replace("TAGS: PREL, PGOV", "TAGS: PREL, PG0V")
    pages = scan_pages(texts)
    pages[0] = scan_page(texts[0], "scan-00.png", 0, low={"PG0V": 0.3})
    transcript = build_transcript(pages)
    assert transcript.header["dtg"].value == "101130Z MAR 88"
    assert transcript.header_lines()[0] == "O 101130Z MAR 88 ZFF4"
    fixed = next(w for w in transcript.words if w.ocr_text == "1011302")
    assert fixed.final_text == "101130Z" and fixed.action is Action.CORRECTED
    assert fixed.source is Source.HEADER_CONSENSUS
    assert fixed.posterior is not None and "1011302" in fixed.alternatives
    assert "TAGS: PREL, PGOV" in transcript.header_lines()
    assert transcript.header["tags"].alternatives == ("PREL, PG0V",)
    assert any(d["field"] == "tags" for d in transcript.metadata["header_disagreements"])


def test_consensus_with_one_bad_repeat_copy(seed: Transcript) -> None:
    disagreements = {d["field"] for d in seed.metadata["header_disagreements"]}
    assert "dtg" not in disagreements  # FEB 894 in section 04 is repaired and outvoted
    assert seed.header["precedence"].value == "P"


def test_transcript_json_validates(seed: Transcript) -> None:
    jsonschema.validate(transcript_to_json(seed), SCHEMA)
    gap = build_transcript(scan_pages([mini_cable()[2]]))
    assert "[GAP: SECTION 01 OF 02 MISSING]" in gap.body_paragraphs()
    jsonschema.validate(transcript_to_json(gap), SCHEMA)
    letter = build_transcript([text_page("Dear Sir,\nA letter.\n")])
    jsonschema.validate(transcript_to_json(letter), SCHEMA)


def test_schema_rejects_broken_json(seed: Transcript) -> None:
    data = transcript_to_json(seed)
    data["paragraphs"][0]["kind"] = "chapter"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)


def test_empty_input() -> None:
    transcript = build_transcript([OcrPage(ref=text_page("").ref, words=())])
    assert transcript.words == ()
    assert "no cable header found" in transcript.warnings


def test_21_pages_fast() -> None:
    texts = split_at_page_lines(seed_text())
    pages = scan_pages(texts)
    start = time.perf_counter()
    build_transcript(pages)
    assert len(pages) == 19
    assert time.perf_counter() - start < 1.0


LINES = [
    "SECRET",
    "S E C R E T",
    "PAGE 01 MOSCOW 04648 01 OF 02 221603Z",
    "PAGE 02 MOSCOW 04648 01 OF 02 221603Z",
    "PAGE 01 MOSCOW 04648 02 OF 02 221603Z",
    "ACTION NODS-00",
    "INFO LOG-00 ADS-00 /000 W",
    "-----017011 221610Z /41",
    "P 221518Z FEB 89 ZFF4",
    "FM AMEMBASSY MOSCOW",
    "TO SECSTATE WASHDC PRIORITY 5887",
    "SECRET SECTION 01 OF 02 MOSCOW 04648",
    "NODIS",
    "E.O. 12356: DECL: OADR",
    "TAGS: PREL, UR",
    "SUBJECT: A LONG SUBJECT LINE THAT MIGHT WRAP ONTO THE NEXT LINE",
    "REF: (A) MOSCOW 2962",
    "1. SECRET - ENTIRE TEXT.",
    "BEGIN SUMMARY:",
    "END SUMMARY.",
    "THE WRONG QUESTION",
    "-----",
    "2. WE HAVE AN HISTORIC OPPORTUNITY TO TEST THE DEGREE OF NON-",
    "--A LIST ITEM.",
    "Cat. A - Caption removed",
    "Reviewed by: Elmer",
    "Date: 9/8/94",
    "From the NATIONAL SECURITY ARCHIVE",
    "MATLOCK",
    "",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(LINES), st.text(max_size=30)), max_size=40))
def test_fuzz_build_never_fails_unexpectedly(lines: list[str]) -> None:
    text = "\n".join(lines)
    for pages in ([text_page(text)], [scan_page(text)]):
        try:
            transcript = build_transcript(pages)
        except CableError:
            continue
        real = [w for w in transcript.words if w.page is not None]
        assert len(real) == len(pages[0].words)
        assert [w.index for w in transcript.words] == list(range(len(transcript.words)))


def test_reviewer_name_loses_the_quotes_read_around_it() -> None:
    from pipeline.structure import _add_review_line

    box: dict[str, Any] = {"lines": [], "categories": [], "reviewed_by": None, "date": None}
    _add_review_line(box, "Reviewed by: \u2018E. Green")
    assert box["reviewed_by"] == "E. Green"
    _add_review_line(box, "Reviewed by: \u2019 ")
    assert box["reviewed_by"] == "E. Green"  # nothing left of the name: the earlier one stays


@pytest.mark.parametrize(
    ("lines", "reviewer", "date"),
    [
        (["Rewewed ty Elfiner", "Date: 9/8/94."], "Elfiner", "9/8/94"),
        (["Reviewed by: \u2018Ehery", "Date. 9/8, 94"], "Ehery", "9/8/94"),
        (["Reviewed: F. Kelly", "9/8/74"], "F. Kelly", "9/8/74"),
        (["Review 3/4/5", "Rewiewd E. Green", "NODIS REVIEW"], None, None),
        (["Cat. C - Date of review: 9/8/94"], None, None),
        (["Reviewed by:E. Green", "Date:9/8/94"], "E. Green", "9/8/94"),
        (["Cat. B Reviewed by: Smith", "(9/8/94)"], "Smith", "9/8/94"),
        (["Reviewed by E. Green Date: 9/8/94"], "E. Green", "9/8/94"),
        (["Reviewed for declassification", "Received JAN 12 1994"], None, None),
        (["Reviewed by: Smith", "Reviewed and released 9/8/94"], "Smith", None),
        (["Date: 1994-09-08", "Date 123/45/6789"], None, None),
    ],
)
def test_review_box_labels_misread_by_ocr_still_find_reviewer_and_date(
    lines: list[str], reviewer: str | None, date: str | None
) -> None:
    from pipeline.structure import _add_review_line

    box: dict[str, Any] = {"lines": [], "categories": [], "reviewed_by": None, "date": None}
    for line in lines:
        _add_review_line(box, line)
    assert (box["reviewed_by"], box["date"]) == (reviewer, date)
