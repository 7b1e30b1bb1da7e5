"""The structure stage on real OCR output of the MOSCOW 04648 scans.

The fixture pages hold text lines copied verbatim from Tesseract's reading of
``samples/moscow-04648/scans`` (letter-spaced markings split at random, damaged dash
lines, specks read as punctuation, garbled review boxes), with fake word boxes at the
lines' real positions. The last test OCRs three of the scans for real.
"""

from __future__ import annotations

import re

import pytest
from test_structure_fixtures import ROOT

from pipeline.records import Box, OcrPage, OcrWord, PageRef, Transcript, Zone
from pipeline.structure import build_transcript, grammar
from pipeline.structure.classify import has_review_vocabulary, is_lower_line, page_lines

Row = tuple[int, int, str]
"""(left, top, text) of one OCR'd line, in pixels of a 300 dpi letter page."""
Override = dict[str, tuple[float, int, int]]
"""Token -> (confidence, box width, box height), for specks and low-confidence words."""

SCANS = ROOT / "samples" / "moscow-04648" / "scans"
HEADER_LEAK = re.compile(r"\bNODIS\b|\bSECTION \d\d OF\b|^TAGS|^SUBJECT|^E\.O\.|\d{6,7} /\d\d")

PAGE_01: list[Row] = [
    (271, 110, "500001"),
    (275, 142, "Department of State"),
    (1189, 205, "SECRET"),
    (1981, 259, "AN: N890001-0416"),
    (374, 353, "PAGE 01 MOSCOW 04648 01 OF 07 2216032"),
    (373, 403, "ACTION NODS-00"),
    (378, 487, "INFO LOG-00 ADS-00 /000 Ww"),
    (376, 553, "\u2014----017011 2216102 /41"),
    (374, 654, "P 221518Z FEB 89 ZFF4"),
    (375, 705, "FM AMEMBASSY MOSCOW"),
    (376, 754, "TO SECSTATE WASHDC PRIORITY 5887"),
    (377, 853, "SECRET SECTION 01 OF 07 MOSCOW 04648"),
    (374, 955, "NODIS"),
    (374, 1053, "E.O. 12356: DECL: OADR"),
    (376, 1156, "TAGS: PREL, UR"),
    (377, 1234, "SUBJECT: U.S.-SOVIET RELATIONS: POLICY OPPORTUNITIES"),
    (375, 1354, "REF: (A) MOSCOW 2962, (B) MOSCOW 3850"),
    (379, 1427, "1. SECRET \u2014 ENTIRE TEXT. \u00a9"),
    (374, 1555, "BEGIN SUMMARY:"),
    (376, 1654, "2. WE HAVE AN HISTORIC OPPORTUNITY TO TEST THE DEGREE"),
    (371, 1705, "THE SOVIET UNION IS WILLING TO MOVE INTO A NEW"),
    (375, 2205, "OF MILITARY FORCE OUTSIDE ITS BORDERS."),
    (1189, 3104, "SECRET -"),
]
PAGE_01_MARKS: Override = {
    "\u00a9": (0.4, 1, 3),
    "-": (0.75, 24, 68),
    "\u2014": (0.57, 25, 4),
}

PAGE_06: list[Row] = [
    (1190, 105, "SECRET"),
    (378, 203, "PAGE 03 MOSCOW 04648 02 OF O07 2216142"),
    (378, 305, "MILITARY INVOLVEMENT IN REGIONAL CONFLICTS; ARMS"),
    (354, 605, ". REMAINS TO BE DONE IN ALL FOUR AREAS."),
    (382, 804, "12. WHILE THE SOVIETS HAVE NOW FORMALLY ACCEPTED OUR"),
    (377, 1205, "AND DST WHEN OUR REVIEW OF THE ISSUES HAS BEEN"),
    (380, 1251, "COMPLETED. a"),
    (382, 1346, "13. THE POINT IS NOT THAT A GOOD START AGREEMENT WOULD"),
    (381, 1705, "IMPACT ON THE EVOLUTION OF SOVIET"),
    (925, 2017, "NODIS REVIEW"),
    (925, 2066, "Cat. A - Caption removed:"),
    (925, 2116, "transformed to INFO/FPO"),
    (934, 2413, "Reviewed by: &. Green"),
    (935, 2466, "Date: 2/8/94"),
    (1190, 3120, "SECRET"),
]
PAGE_06_MARKS: Override = {".": (0.83, 2, 2), "a": (0.0, 35, 14), "-": (0.91, 8, 3)}

PAGE_07: list[Row] = [
    (1188, 106, "SECRET"),
    (327, 202, "- PAGE 01 MOSCOW 04648 03 OF 07 2216042"),
    (368, 251, "ACTION NODS-00 ."),
    (374, 352, "INFO LOG-00 ADS-00 /000 W"),
    (370, 403, "\u2014----017041 2216112 /41"),
    (368, 453, "P 221518Z FEB 89 ZFF4"),
    (369, 504, "FM AMEMBASSY MOSCOW"),
    (370, 553, "TO SECSTATE WASHDC PRIORITY 5889"),
    (371, 653, "S EC RE T SECTION 03 OF 07 MOSCOW 04648."),
    (369, 755, "NODIS"),
    (368, 852, "E.O. 12356: DECL: OADR"),
    (369, 905, "TAGS: PREL, UR"),
    (371, 954, "SUBJECT: U.S.-SOVIET RELATIONS: POLICY OPPORTUNITIES"),
    (371, 1054, "SOCIETY IN A PLURALISTIC DIRECTION AND ON THE"),
    (370, 1155, "CONCENTRATION ON CIVILIAN PRODUCTION."),
    (372, 1253, "14. FURTHERMORE, WHILE IT MAY BE DIFFICULT IN"),
    (373, 1554, "ISSUES IMPORTANT TO OUR NATIONAL SECURITY."),
    (372, 1654, "15. ONE EXAMPLE WHICH COMES TO MIND IS THE SOVIET"),
    (370, 2055, "SOVIET MILITARY SUPPLIES TO THE CENTRAL AMERICAN \u00b0"),
    (1186, 3121, "SECRET"),
]
PAGE_07_MARKS: Override = {"-": (0.0, 2, 2), ".": (0.01, 2, 2), "\u00b0": (0.76, 15, 11)}

PAGE_12: list[Row] = [
    (1187, 90, "SECRET"),
    (379, 200, "PAGE 03 MOSCOW 04648 04 OF 07 2216052"),
    (381, 305, "PUT THEM TO THE TEST BY CHALLENGING THEM TO PLAY A MORE"),
    (384, 954, "23. AREAS OF INTERNATIONAL COOPERATION WHICH MIGHT BE"),
    (381, 1054, "CAVEATS SET FORTH ABOVE) INCLUDE THE FOLLOWING:"),
    (381, 1155, "\u2014-ENVIRONMENTAL PROTECTION ON A GLOBAL SCALE;"),
    (382, 1205, "-\u2014-COMBATTING TERRORISM;"),
    (382, 1505, "--FAMINE AND OTHER DISASTER RELIEF;"),
    (1112, 2008, "iCat. Av Caption removed: transferred to"),
    (1112, 2059, "IIA/DFPC"),
    (1110, 2109, "Cat. B Transferred to I[A/DFPC with additional"),
    (1109, 2166, "passes controlled by CID"),
    (1108, 2262, "Reviewed by: \u00a3.C. ..."),
    (1107, 2306, "Date: 9/8/94"),
    (1189, 3120, "SECRET"),
]
PAGE_12_MARKS: Override = {"IIA/DFPC": (0.03, 144, 29)}


def ocr_page(rows: list[Row], index: int, name: str, marks: Override | None = None) -> OcrPage:
    """An OcrPage with one Tesseract-like line per row and a box for every word."""
    words: list[OcrWord] = []
    for number, (left, top, text) in enumerate(rows):
        x = left
        for token in text.split():
            confidence, width, height = (marks or {}).get(token, (0.93, 24 * len(token), 32))
            words.append(OcrWord(token, confidence, Box(x, top, width, height), number, 1))
            x += width + 14
    return OcrPage(PageRef(name, 1, index), tuple(words), width=2550, height=3300, dpi=300)


def sample(page_07: list[Row] = PAGE_07) -> list[OcrPage]:
    """The four fixture pages in a shuffled order."""
    specs = [
        (PAGE_12, "page-12.png", PAGE_12_MARKS),
        (page_07, "page-07.png", PAGE_07_MARKS),
        (PAGE_01, "page-01.png", PAGE_01_MARKS),
        (PAGE_06, "page-06.png", PAGE_06_MARKS),
    ]
    return [ocr_page(rows, n, name, marks) for n, (rows, name, marks) in enumerate(specs)]


def replaced(rows: list[Row], old: str, new: str) -> list[Row]:
    """``rows`` with the line reading ``old`` read as ``new`` instead."""
    assert any(text == old for _, _, text in rows)
    return [(left, top, new if text == old else text) for left, top, text in rows]


def numbers(transcript: Transcript) -> list[int]:
    body = transcript.body_paragraphs()
    return [n for p in body if (n := grammar.paragraph_number(p)) is not None]


def leaks(transcript: Transcript) -> list[str]:
    """Body paragraphs (gap markers aside) that hold header lines."""
    body = transcript.body_paragraphs()
    return [p for p in body if HEADER_LEAK.search(p) and not p.startswith("[GAP")]


def body_text(transcript: Transcript) -> str:
    return "\n".join(transcript.body_paragraphs())


@pytest.mark.parametrize(
    ("text", "section"),
    [
        ("S EC RE T SECTION 03 OF 07 MOSCOW 04648.", 3),
        ("S EC RET SECTION 04 OF 07 MOSCOW 04648", 4),
        ("S E C RE T SECTION 07 OF 07 MOSCOW 04648", 7),
        ("SE CR ET SECTION 02 OF 07 MOSCOW 04648", 2),
    ],
)
def test_letter_spaced_classification_any_grouping(text: str, section: int) -> None:
    parsed = grammar.parse_class_line(text)
    assert parsed is not None and parsed.kind == "class"
    assert parsed.fields["classification"] == "SECRET"
    assert parsed.fields["section"] == section
    assert parsed.fields["cable_id"] == "MOSCOW 04648"


def test_join_spaced_keeps_ordinary_short_words() -> None:
    assert grammar.join_spaced(["TO", "A", "NEW"]) == ["TO", "A", "NEW"]
    assert grammar.join_spaced(["C", "ON", "FI", "DEN", "TIAL"]) == ["CONFIDENTIAL"]
    assert grammar.join_spaced(["T", "O", "P", "SE", "C", "R", "E", "T"]) == ["TOP", "SECRET"]


@pytest.mark.parametrize("text", ["SECRET -", "_ SECRET", "S EC RE T", "SEC RET"])
def test_page_marking_with_marks(text: str) -> None:
    parsed = grammar.parse_class_line(text)
    assert parsed is not None and parsed.kind == "class_only"


@pytest.mark.parametrize(
    ("text", "loose", "serial", "time"),
    [
        ("\u2014----017041 2216112 /41", False, "017041", "221611Z"),
        ("--TST 017041 2216112 /41", False, "017041", "221611Z"),
        ("---=--017063 2216122 /41", False, "017063", "221612Z"),
        ("----- 017055 2216112 /41", False, "017055", "221611Z"),
        ("sa 017063 2216122 /41", True, "017063", "221612Z"),
    ],
)
def test_damaged_dash_serial_lines(text: str, loose: bool, serial: str, time: str) -> None:
    parsed = grammar.parse_serial(text, loose)
    assert parsed is not None
    assert parsed.fields == {"serial": serial, "time": time}


@pytest.mark.parametrize("text", ["--A SYSTEMATIC PLAN TO INVITE", "-- THE END", "sa 017063"])
def test_list_items_are_not_serial_lines(text: str) -> None:
    assert grammar.parse_serial(text, loose=True) is None


def test_page_line_after_a_speck_and_eo_with_slash() -> None:
    page = grammar.parse_page_line("- PAGE 01 MOSCOW 04648 03 OF 07 2216042")
    assert page is not None
    assert (page.fields["page"], page.fields["section"], page.fields["time"]) == (1, 3, "221604Z")
    eo = grammar.parse_eo("E.0./12356: DECL: OADR")
    assert eo is not None and eo.fields["eo"] == "E.O. 12356: DECL: OADR"


def test_line_geometry_from_boxes() -> None:
    lines = page_lines(ocr_page(PAGE_12, 0, "page-12.png", PAGE_12_MARKS), 0)
    assert lines[0].edge and lines[-1].edge and not lines[3].edge
    assert abs(lines[3].inset) < 1
    assert lines[9].inset > 20
    assert lines[9].confidence == pytest.approx(0.03)


def test_vertical_stroke_read_as_dash_is_noise() -> None:
    rows: list[Row] = [
        (1189, 106, "SECRET"),
        (374, 255, "PAGE 03 MOSCOW 04648 01 OF 07 2216032"),
        (376, 1120, "7. UNFORTUNATELY, MANY OBSERVERS, GIDDY FROM THE \u2014"),
        (375, 1170, "SURPRISE OF SEEING RAPID CHANGE -- IN A SOCIETY"),
        (1189, 3121, "SECRET"),
    ]
    marks: Override = {"\u2014": (0.0, 26, 50), "--": (0.76, 53, 4)}
    transcript = build_transcript([*sample(), ocr_page(rows, 4, "page-03.png", marks)])
    assert (
        "7. UNFORTUNATELY, MANY OBSERVERS, GIDDY FROM THE SURPRISE OF SEEING RAPID CHANGE"
        " -- IN A SOCIETY"
    ) in transcript.body_paragraphs()


def test_page_edges_by_position_and_confidence() -> None:
    rows = [*PAGE_07[:-1], (1186, 3121, "SECRFT 87")]
    rows[0] = (1188, 106, "Wn o ~")
    marks: Override = {**PAGE_07_MARKS, "Wn": (0.2, 60, 30), "o": (0.1, 20, 20)}
    pages = sample(rows)
    pages[1] = ocr_page(rows, 1, "page-07.png", marks)
    transcript = build_transcript(pages)
    zones = {w.ocr_text: w.zone for w in transcript.words if w.page is not None}
    assert zones["SECRFT"] is Zone.CLASSIFICATION and zones["87"] is Zone.CLASSIFICATION
    assert zones["Wn"] is Zone.STRAY
    assert "SECRFT" not in body_text(transcript)


def test_real_ocr_lines_structure() -> None:
    transcript = build_transcript(sample())
    body = body_text(transcript)
    assert numbers(transcript) == [1, 2, 12, 13, 14, 15, 23]
    assert not leaks(transcript)
    for furniture in ("SECRET -", "IIA/DFPC", "iCat", "PAGE 01 MOSCOW", "ACTION NODS", "Caption"):
        assert furniture not in body
    assert transcript.header_lines()[3] == "SECRET SECTION 01 OF 07 MOSCOW 04648"
    assert len(transcript.header_lines()) == 9
    assert transcript.header["sections"].value == 7
    assert "AND DST WHEN OUR REVIEW OF THE ISSUES HAS BEEN COMPLETED." in body
    assert "COMPLETED. a" not in body
    assert "REMAINS TO BE DONE" in body and ". REMAINS" not in body
    assert "\u2014 ENTIRE TEXT." in body
    paragraphs = transcript.body_paragraphs()
    assert "-\u2014-COMBATTING TERRORISM;" in paragraphs
    assert "--FAMINE AND OTHER DISASTER RELIEF;" in paragraphs
    stamps = transcript.metadata["review_boxes"]
    assert any("IIA/DFPC" in line for box in stamps for line in box["lines"])


def test_real_ocr_lines_keep_every_word() -> None:
    pages = sample()
    transcript = build_transcript(pages)
    read = [w.text for page in pages for w in page.words]
    assert sorted(w.ocr_text for w in transcript.words if w.page is not None) == sorted(read)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("\u2014----017041 2216112 /41", "--TST 017041 2216112 /41"),
        ("S EC RE T SECTION 03 OF 07 MOSCOW 04648.", "SE C RET SECTION 03 OF 07 MOSCOW 04648"),
        ("NODIS", "MQDJS X"),
        ("P 221518Z FEB 89 ZFF4", "PZ 2Z:5!8Z FE3 89 ZFF4"),
        ("- PAGE 01 MOSCOW 04648 03 OF 07 2216042", "\u201cPAGE 01 MOSCOW 04648 03 OF O07 2216042"),
    ],
)
def test_variant_readings_of_a_section_header(old: str, new: str) -> None:
    transcript = build_transcript(sample(replaced(PAGE_07, old, new)))
    body = body_text(transcript)
    assert numbers(transcript) == [1, 2, 12, 13, 14, 15, 23]
    assert new not in body
    assert not leaks(transcript)
    assert transcript.header["caption"].value == "NODIS"


def test_garbled_line_far_from_any_anchor_stays_body() -> None:
    rows = replaced(PAGE_07, "SOCIETY IN A PLURALISTIC DIRECTION AND ON THE", "SOCIETY IN A")
    transcript = build_transcript(sample(rows))
    assert "SOCIETY IN A CONCENTRATION ON CIVILIAN PRODUCTION." in body_text(transcript)


@pytest.mark.tesseract
@pytest.mark.slow
def test_ocr_section_first_page_and_continuation(needs_tesseract: None) -> None:
    """Real OCR of the last page of section 02 and both pages of section 03 after it."""
    from pipeline.api import read

    paths = [SCANS / "page-08.png", SCANS / "page-06.png", SCANS / "page-07.png"]
    if not all(p.is_file() for p in paths):
        pytest.skip("sample scans not present")
    transcript = build_transcript(read(paths))
    assert [p.section for p in transcript.pages] == [2, 3, 3]
    assert 14 in numbers(transcript) and 15 in numbers(transcript)
    assert numbers(transcript) == sorted(numbers(transcript))
    assert not leaks(transcript)
    zones: dict[str, set[Zone]] = {}
    for word in transcript.words:
        zones.setdefault(word.ocr_text.upper(), set()).add(word.zone)
    assert Zone.BODY not in zones["NODIS"]
    assert zones["SECRET"] <= {Zone.CLASSIFICATION, Zone.HEADER, Zone.HEADER_REPEAT, Zone.STRAY}
    assert Zone.REVIEW_BOX in zones.get("REVIEWED", set())
    header = transcript.header_lines()
    assert any("SECTION 03 OF 07" in line for line in header)
    assert transcript.header["tags"].value == ["PREL", "UR"]
    assert all(w.zone is not Zone.BODY for w in transcript.words if w.ocr_text == "/41")


PAGE_12_PDF_BOX: list[Row] = [
    (1112, 2008, "iCat. Av Caption removed"),
    (1112, 2059, "transferred to InterPRO"),
    (1112, 2162, "with additional copies"),
    (1112, 2204, "Cat GC \u201cLA"),
    (1110, 2264, "VY"),
    (1112, 2300, "c: ce, \u2018Elmer"),
    (1112, 2336, "98/94"),
    (1189, 3120, "SECRET"),
]
"""The review box of page 12 as read from the PDF rasterisation: no line opens a box."""


def test_lower_case_lines_are_not_cable_text() -> None:
    assert is_lower_line("iCat. Av Caption removed")
    assert is_lower_line("with additional copies")
    assert is_lower_line("c: ce, \u2018Elmer")
    assert not is_lower_line("COMPLETED. a")
    assert not is_lower_line("INFO LOG-00 ADS-00 /000 Ww")
    assert not is_lower_line("OPPORTUNITIES FOR THE SOVIET POLITICAL ELITE TO SEE")
    assert has_review_vocabulary("iCat. Av Caption removed")
    assert has_review_vocabulary("Revewed ty Elfner")
    assert has_review_vocabulary("Cat. A Captien removed: transferred to")
    assert not has_review_vocabulary("with additional copies")
    assert not has_review_vocabulary("seen here and there too")


def test_garbled_review_box_without_opener_leaves_the_body() -> None:
    rows = [row for row in PAGE_12 if row[1] < 2000] + PAGE_12_PDF_BOX
    pages = sample()
    pages[0] = ocr_page(rows, 0, "page-12.png")
    transcript = build_transcript(pages)
    body = body_text(transcript)
    assert numbers(transcript) == [1, 2, 12, 13, 14, 15, 23]
    for furniture in ("iCat", "Caption", "InterPRO", "additional copies", "VY", "98/94", "Elmer"):
        assert furniture not in body
    assert "--FAMINE AND OTHER DISASTER RELIEF;" in transcript.body_paragraphs()
    zones = {w.ocr_text: w.zone for w in transcript.words if w.page is not None}
    for word in ("iCat.", "Caption", "InterPRO", "copies", "GC", "VY", "\u2018Elmer", "98/94"):
        assert zones[word] is Zone.REVIEW_BOX


def test_lower_case_line_away_from_a_box_is_stray() -> None:
    rows = replaced(PAGE_07, "CONCENTRATION ON CIVILIAN PRODUCTION.", "seen here and there too")
    transcript = build_transcript(sample(rows))
    zones = {w.ocr_text: w.zone for w in transcript.words if w.page is not None}
    assert zones["seen"] is Zone.STRAY
    assert "seen here" not in body_text(transcript)


def test_indented_cable_line_below_a_box_stays_body() -> None:
    rows = [
        *PAGE_06[:-1],
        (925, 2516, "THE DELEGATIONS WILL MEET AGAIN IN GENEVA"),
        PAGE_06[-1],
    ]
    pages = sample()
    pages[3] = ocr_page(rows, 3, "page-06.png", PAGE_06_MARKS)
    transcript = build_transcript(pages)
    assert "THE DELEGATIONS WILL MEET AGAIN IN GENEVA" in body_text(transcript)
    zones = {w.ocr_text: w.zone for w in transcript.words if w.page is not None}
    assert zones["Reviewed"] is Zone.REVIEW_BOX
    assert zones["GENEVA"] is Zone.BODY


def test_short_heading_with_one_misread_letter_stays_body() -> None:
    heading = "yROFLEMS: ALLIANCE MANAGEMENT"
    rows = replaced(PAGE_07, "CONCENTRATION ON CIVILIAN PRODUCTION.", heading)
    transcript = build_transcript(sample(rows))
    assert heading in body_text(transcript)
    rows = replaced(PAGE_07, "CONCENTRATION ON CIVILIAN PRODUCTION.", "Done 3/4 EMB")
    transcript = build_transcript(sample(rows))
    assert "Done" not in body_text(transcript)  # handwriting: no two capital words
