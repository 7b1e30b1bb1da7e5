"""Page layout shared by the archive formats: pages, blocks, lines and word pieces.

A ``TranscriptWord`` becomes one or more pieces: its final text split on whitespace (a split
correction such as ``USE THIS`` gives two pieces sharing the word's box in proportion to
their characters). Words joined with glue ``""`` across a line break are hyphenation parts:
the first piece of the pair is ``HypPart1``, later ones ``HypPart2``, and all carry the joined
word as ``subs_content``. Boilerplate (zones outside ``KEPT_ZONES``) and removed words that
still have text are kept as excluded blocks, so the page layout stays complete; words merged
away (empty final text) are left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from pipeline.records import KEPT_ZONES, Box, PageInfo, PageRef, Transcript, TranscriptWord, Zone

HYPHENS = ("-", "\u00ac", "\u2010")
"""Characters that end the first part of a word broken across lines."""
_TRANSCRIPT_KINDS = frozenset(zone.value for zone in KEPT_ZONES)


_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """``value`` with characters that XML 1.0 cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", value)


def changed(word: TranscriptWord) -> bool:
    """True when the final text differs from the OCR reading by more than a line-end hyphen."""
    if word.final_text == word.ocr_text:
        return False
    return not (word.ocr_text.endswith(HYPHENS) and word.ocr_text[:-1] == word.final_text)


def word_confidence(word: TranscriptWord) -> float | None:
    """Confidence of a word's final text, 0-1.

    The posterior when the final text differs from the OCR reading (a correction was made),
    otherwise the OCR confidence; either falls back to the other when missing.
    """
    first, second = (
        (word.posterior, word.ocr_confidence)
        if changed(word)
        else (word.ocr_confidence, word.posterior)
    )
    value = first if first is not None else second
    if value is None:
        return None
    return min(1.0, max(0.0, float(value)))


def union(boxes: Iterable[Box | None]) -> Box | None:
    """The smallest box holding every given box, ``None`` when there are none."""
    present = [box for box in boxes if box is not None]
    if not present:
        return None
    left = min(box.left for box in present)
    top = min(box.top for box in present)
    right = max(box.right for box in present)
    bottom = max(box.bottom for box in present)
    return Box(left, top, right - left, bottom - top)


def split_box(box: Box | None, text: str, start: int, end: int) -> Box | None:
    """The part of ``box`` covering characters ``start:end`` of ``text`` (proportional)."""
    if box is None:
        return None
    total = max(len(text), 1)
    left = box.left + round(box.width * start / total)
    right = box.left + round(box.width * end / total)
    return Box(left, box.top, max(right - left, 1 if box.width else 0), box.height)


@dataclass(slots=True)
class Piece:
    """One whitespace-free token of a word as it is written into a layout format."""

    id: str
    text: str
    box: Box | None
    word: TranscriptWord
    first: bool
    """True for the first piece of its word (it carries the word's alternatives)."""
    confidence: float | None
    hyphen_role: str | None = None
    """``HypPart1`` or ``HypPart2`` for the parts of a word broken across lines."""
    subs_content: str | None = None
    """The whole word, for hyphenation parts."""
    hyphen: str | None = None
    """The hyphen character printed after this piece at the line end, if any."""
    hyphen_box: Box | None = None
    joins_previous: bool = False
    """True when no space separates this piece from the previous one on the same line."""


@dataclass(slots=True)
class Line:
    """Pieces from one source line inside a block."""

    number: int
    pieces: list[Piece] = field(default_factory=list)

    @property
    def box(self) -> Box | None:
        """Union of the piece boxes."""
        return union([p.box for p in self.pieces] + [p.hyphen_box for p in self.pieces])


@dataclass(slots=True)
class Block:
    """A paragraph, the header block, the signature, or a run of excluded words on a page."""

    kind: str
    """``header``, ``body`` or ``signature`` (transcript), or the zone of excluded words
    (``page_header``, ``classification``, ...) or ``removed``."""
    paragraph: int | None
    lines: list[Line] = field(default_factory=list)

    @property
    def in_transcript(self) -> bool:
        """True when the block's words are part of transcript.txt."""
        return self.kind in _TRANSCRIPT_KINDS

    @property
    def box(self) -> Box | None:
        """Union of the line boxes."""
        return union(line.box for line in self.lines)

    def pieces(self) -> list[Piece]:
        """Every piece of the block in order."""
        return [piece for line in self.lines for piece in line.pieces]


@dataclass(slots=True)
class Page:
    """A scanned page with its blocks in reading order."""

    number: int
    """1-based position among the transcript's pages."""
    info: PageInfo
    blocks: list[Block] = field(default_factory=list)

    @property
    def has_geometry(self) -> bool:
        """True when the page image size is known."""
        return self.info.width > 0 and self.info.height > 0

    def pieces(self) -> list[Piece]:
        """Every piece on the page in order."""
        return [piece for block in self.blocks for piece in block.pieces()]


def _block_kind(word: TranscriptWord) -> str | None:
    if word.in_transcript:
        return word.zone.value if word.final_text.strip() else None
    if word.zone in KEPT_ZONES:
        return "removed" if word.final_text.strip() else None
    return word.zone.value if (word.final_text or word.ocr_text).strip() else None


def _pieces_of(word: TranscriptWord, kind: str) -> list[Piece]:
    boilerplate = kind not in _TRANSCRIPT_KINDS and kind != "removed"
    text = (word.final_text or word.ocr_text) if boilerplate else word.final_text
    confidence = word_confidence(word)
    tokens = text.split()
    pieces = []
    position = 0
    for number, token in enumerate(tokens):
        start = text.index(token, position)
        position = start + len(token)
        piece_id = f"w{word.index}" if len(tokens) == 1 else f"w{word.index}_{number + 1}"
        pieces.append(
            Piece(
                id=piece_id,
                text=xml_text(token),
                box=split_box(word.box, text, start, position),
                word=word,
                first=number == 0,
                confidence=confidence,
            )
        )
    return pieces


def _mark_hyphenation(pieces: list[Piece]) -> None:
    """Set hyphenation roles on transcript pieces joined with glue "" across lines."""
    previous: Piece | None = None
    chain: list[Piece] = []

    def close() -> None:
        if len(chain) < 2:
            return
        joined = "".join(piece.text for piece in chain)
        for position, piece in enumerate(chain):
            piece.hyphen_role = "HypPart1" if position == 0 else "HypPart2"
            piece.subs_content = joined
        for piece in chain[:-1]:
            _strip_hyphen(piece)

    for piece in pieces:
        if piece.first and piece.word.glue == "" and previous is not None:
            here = (piece.word.page, piece.word.line)
            if (previous.word.page, previous.word.line) != here:
                if not chain:
                    chain.append(previous)
                chain.append(piece)
                previous = piece
                continue
            piece.joins_previous = True
        close()
        chain = []
        previous = piece
    close()


def _strip_hyphen(piece: Piece) -> None:
    """Move a printed line-end hyphen from the piece text into ``hyphen``."""
    ocr = piece.word.ocr_text
    if piece.text.endswith(HYPHENS) and len(piece.text) > 1:
        piece.hyphen = piece.text[-1]
        piece.text = piece.text[:-1]
    elif ocr.endswith(HYPHENS):
        piece.hyphen = ocr[-1]
    else:
        return
    box = piece.box
    if box is not None and box.width > 1:
        characters = max(len(ocr) if ocr.endswith(HYPHENS) else len(piece.text) + 1, 2)
        hyphen_width = max(1, round(box.width / characters))
        piece.box = Box(box.left, box.top, box.width - hyphen_width, box.height)
        piece.hyphen_box = Box(box.right - hyphen_width, box.top, hyphen_width, box.height)


def _pages(transcript: Transcript) -> list[PageInfo]:
    infos = list(transcript.pages)
    known = {info.ref for info in infos}
    for word in transcript.words:
        if word.page is not None and word.page not in known:
            known.add(word.page)
            infos.append(PageInfo(word.page))
    if not infos and transcript.words:
        infos.append(PageInfo(PageRef("", 1)))
    return infos


def layout(transcript: Transcript) -> list[Page]:
    """Arrange the transcript's words into pages, blocks, lines and pieces."""
    infos = _pages(transcript)
    pages = [Page(number + 1, info) for number, info in enumerate(infos)]
    by_ref = {page.info.ref: page for page in pages}
    words = sorted(transcript.words, key=lambda w: w.index)

    transcript_pieces: list[Piece] = []
    placed: list[tuple[Page, str, TranscriptWord, list[Piece]]] = []
    current = pages[0] if pages else None
    for word in words:
        page = by_ref.get(word.page) if word.page is not None else current
        if page is None:
            continue
        current = page
        kind = _block_kind(word)
        if kind is None:
            continue
        pieces = _pieces_of(word, kind)
        if word.in_transcript:
            transcript_pieces.extend(pieces)
        placed.append((page, kind, word, pieces))
    _mark_hyphenation(transcript_pieces)

    for page, kind, word, pieces in placed:
        paragraph = word.paragraph if kind == Zone.BODY.value else None
        block = page.blocks[-1] if page.blocks else None
        if block is None or (block.kind, block.paragraph) != (kind, paragraph):
            block = Block(kind, paragraph)
            page.blocks.append(block)
        line = block.lines[-1] if block.lines else None
        if line is None or line.number != word.line:
            line = Line(word.line)
            block.lines.append(line)
        line.pieces.extend(pieces)
    return pages
