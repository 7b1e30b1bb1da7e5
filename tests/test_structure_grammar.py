"""Header grammar: real header lines, OCR near-misses, and fuzzing (never raises)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.structure import grammar

# Header lines copied from FRUS verbatim cable transcriptions (public domain) and the
# MOSCOW 04648 sample.


@pytest.mark.parametrize(
    ("line", "precedence", "dtg"),
    [
        ("PR 181040Z APR 69", "PR", "181040Z APR 69"),
        ("P R 121335Z MAR 70", "P R", "121335Z MAR 70"),
        ("R 182339 Z MAY 73", "R", "182339Z MAY 73"),
        ("R 191410Z MAY", "R", "191410Z MAY"),
        ("P 221518Z FEB 89 ZFF4", "P", "221518Z FEB 89"),
        ("P 221518Z FEB 894", "P", "221518Z FEB 89"),
        ("P 2215182 FE8 89 ZDF4", "P", "221518Z FEB 89"),
    ],
)
def test_dtg_line(line: str, precedence: str, dtg: str) -> None:
    parsed = grammar.parse_dtg_line(line)
    assert parsed is not None
    assert parsed.fields["precedence"] == precedence
    assert parsed.fields["dtg"] == dtg


def test_dtg_repairs_lower_confidence() -> None:
    clean = grammar.parse_dtg_line("P 221518Z FEB 89 ZFF4")
    noisy = grammar.parse_dtg_line("P 2215182 FEB 894 ZDF4")
    assert clean is not None and noisy is not None
    assert clean.confidence == 1.0
    assert noisy.confidence < 0.8
    assert grammar.parse_dtg_line("P 221518Z FEB 89 ZDF4").fields["zff"] == "ZFF4"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("line", "page", "cable", "section", "sections", "time"),
    [
        ("PAGE 01 MOSCOW 04648 01 OF 07 221603Z", 1, "MOSCOW 04648", 1, 7, "221603Z"),
        ("PAGE 03            MOSCOW 04648 02 OF 07 221614Z", 3, "MOSCOW 04648", 2, 7, "221614Z"),
        ("PAGE 01 STATE 024976", 1, "STATE 024976", None, None, None),
        ("PAGE 02 WARSAW 01634 071251 Z", 2, "WARSAW 01634", None, None, "071251Z"),
        ("PAGE O1 MOSCOw 04648 O2 OF 07 2216032", 1, "MOSCOW 04648", 2, 7, "221603Z"),
    ],
)
def test_page_line(
    line: str, page: int, cable: str, section: int | None, sections: int | None, time: str | None
) -> None:
    parsed = grammar.parse_page_line(line)
    assert parsed is not None
    assert parsed.fields["page"] == page
    assert parsed.fields["cable_id"] == cable
    assert parsed.fields.get("section") == section
    assert parsed.fields.get("sections") == sections
    assert parsed.fields.get("time") == time


def test_page_line_repairs_cost_confidence() -> None:
    clean = grammar.parse_page_line("PAGE 01 MOSCOW 04648 02 OF 07 221603Z")
    noisy = grammar.parse_page_line("PAGE O1 MOSCOw 04648 O2 OF 07 2216032")
    assert clean is not None and noisy is not None
    assert noisy.confidence < clean.confidence


@pytest.mark.parametrize(
    ("line", "offices", "checksum"),
    [
        ("ACTION NODS-00", [["NODS", 0]], None),
        ("INFO LOG-00 ADS-00 /000 W", [["LOG", 0], ["ADS", 0]], 0),
        ("INFO OCT-01 ISO-00 SSO-00 /026 R", [["OCT", 1], ["ISO", 0], ["SSO", 0]], 26),
        ("ORIGIN SS-25", [["SS", 25]], None),
    ],
)
def test_routing(line: str, offices: list[list[object]], checksum: int | None) -> None:
    parsed = grammar.parse_routing(line)
    assert parsed is not None
    assert parsed.fields["offices"] == offices
    assert parsed.fields["checksum"] == checksum


@pytest.mark.parametrize("token", ["2161::Z", "22:16:03", "2216O3Z7"])
def test_time_needs_six_digits(token: str) -> None:
    assert grammar.parse_time(token) is None


def test_routing_rejects_addressee_info() -> None:
    assert grammar.parse_routing("INFO AMEMBASSY LONDON") is None


@pytest.mark.parametrize(
    ("line", "serial"),
    [
        ("-----017011 221610Z /41", "017011"),
        ("--------------------- 003526", "003526"),
        ("\u2014\u2014\u2014017O55 221611Z /41", "017055"),
    ],
)
def test_serial(line: str, serial: str) -> None:
    parsed = grammar.parse_serial(line)
    assert parsed is not None and parsed.fields["serial"] == serial


@pytest.mark.parametrize(
    ("line", "value"),
    [("FM AMEMBASSY TEHRAN", "AMEMBASSY TEHRAN"), ("FM USDEL SHIRAZ", "USDEL SHIRAZ")],
)
def test_fm(line: str, value: str) -> None:
    parsed = grammar.parse_fm(line)
    assert parsed is not None and parsed.fields["from"] == value


@pytest.mark.parametrize(
    ("line", "to", "serial"),
    [
        ("TO SECSTATE WASHDC PRIORITY 8050", "SECSTATE WASHDC", "8050"),
        ("TO SECSTATE WASHDC IMMEDIATE 9508", "SECSTATE WASHDC", "9508"),
        ("TO AMEMBASSY TEHRAN PRIORITY", "AMEMBASSY TEHRAN", None),
        ("TO RUEHCR/AMEMBASSY TEHRAN NIACT IMMEDIATE 4125", "AMEMBASSY TEHRAN", "4125"),
    ],
)
def test_to(line: str, to: str, serial: str | None) -> None:
    parsed = grammar.parse_to(line)
    assert parsed is not None
    assert parsed.fields["to"] == to
    assert parsed.fields.get("serial") == serial


@pytest.mark.parametrize(
    ("line", "classification", "section", "sections", "cable"),
    [
        ("SECRET SECTION 01 OF 07 MOSCOW 04648", "SECRET", 1, 7, "MOSCOW 04648"),
        ("S E C R E T    SECTION 02 OF 07 MOSCOW 04648", "SECRET", 2, 7, "MOSCOW 04648"),
        ("S E C R E T STATE 024976", "SECRET", None, None, "STATE 024976"),
        ("C O N F I D E N T I A L MOSCOW 1234", "CONFIDENTIAL", None, None, "MOSCOW 1234"),
        ("SECRFT SECTION O3 OF 07 MOSCOW 04648", "SECRET", 3, 7, "MOSCOW 04648"),
    ],
)
def test_class_line(
    line: str, classification: str, section: int | None, sections: int | None, cable: str
) -> None:
    parsed = grammar.parse_class_line(line)
    assert parsed is not None and parsed.kind == "class"
    assert parsed.fields["classification"] == classification
    assert parsed.fields.get("section") == section
    assert parsed.fields.get("sections") == sections
    assert parsed.fields["cable_id"] == cable


@pytest.mark.parametrize("line", ["SECRET", "SECRET SECRET", "S E C R E T", "**SECRET**"])
def test_classification_furniture(line: str) -> None:
    parsed = grammar.parse_class_line(line)
    assert parsed is not None and parsed.kind == "class_only"


def test_body_line_is_not_classification() -> None:
    assert grammar.parse_class_line("SECRETARY SHOULD KNOW THERE IS EVERY INDICATION") is None


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("E.O. 12356: DECL: OADR", "E.O. 12356: DECL: OADR"),
        ("E.O. 12356:    DECL:OADR", "E.O. 12356: DECL: OADR"),
        ("E. O. 11652: GDS", "E.O. 11652: GDS"),
        ("EO 11652: GDS", "E.O. 11652: GDS"),
        ("E.O. 11652 GDS", "E.O. 11652: GDS"),
        ("E.O11652: GDS", "E.O. 11652: GDS"),
        ("E.O. 11652: N/A", "E.O. 11652: N/A"),
    ],
)
def test_eo(line: str, value: str) -> None:
    parsed = grammar.parse_eo(line)
    assert parsed is not None and parsed.fields["eo"] == value


@pytest.mark.parametrize(
    ("line", "tags"),
    [
        ("TAGS: PREL, UR", ["PREL", "UR"]),
        ("TAGS: PFOR UNGA", ["PFOR", "UNGA"]),
        (
            "TAGS PFOR, XA, XB, XR, YO, RO, MT, UN",
            ["PFOR", "XA", "XB", "XR", "YO", "RO", "MT", "UN"],
        ),
        ("TAGS: PINT, RO, (CEAUSESCU, NICOLAE)", ["PINT", "RO", "(CEAUSESCU, NICOLAE)"]),
        ("TAGS:", []),
    ],
)
def test_tags(line: str, tags: list[str]) -> None:
    parsed = grammar.parse_tags(line)
    assert parsed is not None and parsed.fields["tags"] == tags


@pytest.mark.parametrize(
    ("line", "subject"),
    [
        ("SUBJ: IRAN-IRAQ CRISIS", "IRAN-IRAQ CRISIS"),
        ("SUBJECT: SHAH VISIT - SECURITY CONSIDERATIONS", "SHAH VISIT - SECURITY CONSIDERATIONS"),
        (
            "SUBJ.: IRAQ: SOVIET EFFORTS TO PENETRATE MIDDLE EAST",
            "IRAQ: SOVIET EFFORTS TO PENETRATE MIDDLE EAST",
        ),
    ],
)
def test_subject(line: str, subject: str) -> None:
    parsed = grammar.parse_subject(line)
    assert parsed is not None and parsed.fields["subject"] == subject


@pytest.mark.parametrize(
    ("line", "ref"),
    [
        ("REF: TEHRAN 1367", "TEHRAN 1367"),
        ("REFS: STATE 116791, USUN 3287", "STATE 116791, USUN 3287"),
        ("REF. TEHRAN 564", "TEHRAN 564"),
        ("REF: (A) MOSCOW 2962, (B) MOSCOW 3850", "(A) MOSCOW 2962, (B) MOSCOW 3850"),
    ],
)
def test_ref(line: str, ref: str) -> None:
    parsed = grammar.parse_ref(line)
    assert parsed is not None and parsed.fields["ref"] == ref


@pytest.mark.parametrize(
    ("line", "caption"),
    [("NODIS", "NODIS"), ("EXDIS", "EXDIS"), ("KODIS", "NODIS"), ("LIMDIS", "LIMDIS")],
)
def test_caption(line: str, caption: str) -> None:
    parsed = grammar.parse_caption(line)
    assert parsed is not None and parsed.fields["caption"] == caption


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("BEGIN SUMMARY:", "summary"),
        ("END SUMMARY.", "end_summary"),
        ("EGOSUMMARY.", "end_summary"),
        ("SUMMARY", "summary"),
    ],
)
def test_summary_markers(line: str, kind: str) -> None:
    parsed = grammar.parse_summary_marker(line)
    assert parsed is not None and parsed.kind == kind


def test_summary_text_is_not_marker() -> None:
    assert grammar.parse_summary_marker("SUMMARY: THE SHAH SAID") is None


@pytest.mark.parametrize(
    ("line", "number"),
    [
        ("12. WHILE THE SOVIETS", 12),
        ("1) CHANCELLOR EXPRESSED", 1),
        ("1970'S AND EARLY", None),
        ("U.S. POLICY", None),
    ],
)
def test_paragraph_number(line: str, number: int | None) -> None:
    assert grammar.paragraph_number(line) == number


def test_non_header_lines_are_rejected() -> None:
    for line in (
        "WE SHOULD CONTINUE NEGOTIATIONS FOR VERIFIABLE ARMS REDUCTIONS",
        "From the NATIONAL SECURITY ARCHIVE, The George Washington University",
        "",
    ):
        assert grammar.parse_header_line(line) is None


PARSERS = [
    grammar.parse_page_line,
    grammar.parse_header_line,
    grammar.parse_summary_marker,
    grammar.paragraph_number,
    *grammar.HEADER_PARSERS,
]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_fuzz_any_text_never_raises(text: str) -> None:
    for parser in PARSERS:
        parser(text)


HEADER_LIKE = [
    "PAGE 01 MOSCOW 04648 01 OF 07 221603Z",
    "P 221518Z FEB 89 ZFF4",
    "SECRET SECTION 01 OF 07 MOSCOW 04648",
    "S E C R E T STATE 024976",
    "E.O. 12356: DECL: OADR",
    "TAGS: PREL, UR",
    "INFO LOG-00 ADS-00 /000 W",
    "-----017011 221610Z /41",
    "TO SECSTATE WASHDC PRIORITY 5887",
    "SUBJECT: U.S.-SOVIET RELATIONS",
]
CONFUSIONS = "0O1Il5S8B2Z6G :/.-,()Z"


@st.composite
def near_miss(draw: st.DrawFn) -> str:
    """A real header line with random character edits (OCR-like damage)."""
    chars = list(draw(st.sampled_from(HEADER_LIKE)))
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["sub", "del", "ins"]))
        pos = draw(st.integers(0, max(0, len(chars) - 1)))
        if op == "del" and chars:
            del chars[pos]
        elif op == "ins":
            chars.insert(pos, draw(st.sampled_from(CONFUSIONS)))
        elif chars:
            chars[pos] = draw(st.sampled_from(CONFUSIONS))
    return "".join(chars)


@settings(max_examples=500, deadline=None)
@given(near_miss())
def test_fuzz_near_misses_never_raise_and_stay_bounded(text: str) -> None:
    for parser in PARSERS:
        result = parser(text)
        if isinstance(result, grammar.Parsed):
            assert 0.0 <= result.confidence <= 1.0
