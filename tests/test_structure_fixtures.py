"""Fixtures for the structure tests: OcrPages built from text."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.records import Box, OcrPage, OcrWord, PageRef

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "samples" / "moscow-04648" / "seed.txt"
REFERENCE = ROOT / "samples" / "moscow-04648" / "reference.txt"


def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def text_page(text: str, source: str = "cable.txt", index: int = 0) -> OcrPage:
    """One OcrPage for a whole text transcript, as the text reader makes it."""
    words = tuple(
        OcrWord(token, None, None, number)
        for number, line in enumerate(text.splitlines())
        for token in line.split()
    )
    return OcrPage(ref=PageRef(source, 1, index), words=words)


def scan_page(
    text: str,
    source: str = "scan.png",
    index: int = 0,
    confidence: float = 0.9,
    low: dict[str, float] | None = None,
) -> OcrPage:
    """A scan-like page: sequential line numbers, fake boxes, blank lines as vertical gaps.

    ``low`` maps a token to a lower confidence, to mimic an uncertain OCR reading.
    """
    words: list[OcrWord] = []
    y = 100
    line_no = 0
    for raw in text.splitlines():
        if not raw.strip():
            y += 40
            continue
        x = 100
        for token in raw.split():
            conf = (low or {}).get(token, confidence)
            words.append(OcrWord(token, conf, Box(x, y, 12 * len(token), 30), line_no, 1))
            x += 12 * len(token) + 12
        line_no += 1
        y += 40
    return OcrPage(
        ref=PageRef(source, 1, index), words=tuple(words), width=2550, height=3300, dpi=300
    )


def split_at_page_lines(text: str) -> list[str]:
    """Cut a transcript into physical pages at its PAGE lines (preamble joins page 1)."""
    chunks: list[list[str]] = [[]]
    for line in text.splitlines():
        if re.match(r"^\s*PAGE\s+\d", line):
            chunks.append([])
        chunks[-1].append(line)
    if len(chunks) > 1:
        chunks[1] = chunks[0] + chunks[1]
        chunks.pop(0)
    return ["\n".join(chunk) for chunk in chunks]


def scan_pages(texts: list[str], order: list[int] | None = None) -> list[OcrPage]:
    """Scan-like pages for ``texts`` in the given order, named by input position only."""
    order = order if order is not None else list(range(len(texts)))
    return [scan_page(texts[k], f"scan-{n:02d}.png", n) for n, k in enumerate(order)]


MINI = """\
SECRET
PAGE 01 {post} {number} 01 OF 02 101200Z
ACTION EUR-00
INFO LOG-00 ADS-00 /000 W
-----000101 101205Z /38
O 101130Z MAR 88 ZFF4
FM AMEMBASSY {fm}
TO SECSTATE WASHDC IMMEDIATE 1201
S E C R E T SECTION 01 OF 02 {post} {number}
EXDIS
E.O. 12356: DECL: OADR
TAGS: PREL, PGOV
SUBJECT: TEST OF THE STRUCTURE STAGE

1. SECRET - ENTIRE TEXT.

2. THE FIRST PARAGRAPH SPEAKS OF NON-
PROLIFERATION AND OF MANY OTHER THINGS THAT GO ON
SECRET
PAGE 02 {post} {number} 01 OF 02 101200Z
ACROSS THE PAGE BREAK WITHOUT A STOP AND THEN END.

3. THE THIRD PARAGRAPH IS CUT AT THE END OF THE FIRST
SECRET
"""

MINI2 = """\
SECRET
PAGE 01 {post} {number} 02 OF 02 101201Z
ACTION EUR-00
INFO LOG-00 ADS-00 /000 W
-----000102 101206Z /38
O 101130Z MAR 88 ZFF4
FM AMEMBASSY {fm}
TO SECSTATE WASHDC IMMEDIATE 1202
S E C R E T SECTION 02 OF 02 {post} {number}
EXDIS
E.O. 12356: DECL: OADR
TAGS: PREL, PGOV
SUBJECT: TEST OF THE STRUCTURE STAGE

SECTION AND GOES ON IN THE SECOND ONE.

4. LAST PARAGRAPH OF THE CABLE. SMITH
SECRET
"""


def mini_cable(post: str = "BONN", number: str = "01234", fm: str = "BONN") -> list[str]:
    """Three physical pages of a small two-section cable."""
    first = MINI.format(post=post, number=number, fm=fm)
    second = MINI2.format(post=post, number=number, fm=fm)
    return [*split_at_page_lines(first), second]
