"""Records that cross a stage boundary: pages, OCR words, transcript words, the transcript.

Every record is frozen. Stages build new records with ``dataclasses.replace`` and never
mutate their input, so a ``Transcript`` can be passed to worker processes, serialized
and compared safely.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True, slots=True)
class PageRef:
    """Where a page came from."""

    source: str
    """Path of the input file (or folder image) as given by the user."""
    page_number: int
    """1-based page number inside ``source`` (1 for single images and text files)."""
    index: int = 0
    """0-based position of this page among all input pages, in input order."""

    def label(self) -> str:
        """Short human label, e.g. ``scan.pdf p3``."""
        return f"{self.source} p{self.page_number}"


@dataclass(frozen=True, slots=True)
class Box:
    """Axis-aligned word box in pixels of the source page image."""

    left: int
    top: int
    width: int
    height: int

    def __post_init__(self) -> None:
        if min(self.left, self.top, self.width, self.height) < 0:
            raise ValueError(f"negative box coordinate: {self}")

    @property
    def right(self) -> int:
        """X coordinate one past the right edge."""
        return self.left + self.width

    @property
    def bottom(self) -> int:
        """Y coordinate one past the bottom edge."""
        return self.top + self.height


@dataclass(frozen=True, slots=True)
class ProcessingStep:
    """One stage's record of what it did, with its settings (written into outputs)."""

    stage: str
    """Stage name: ingest, preprocess, ocr, structure, correct, review, ..."""
    description: str
    """One line for humans."""
    settings: Mapping[str, Any] = field(default_factory=dict)
    """Parameters the stage ran with (JSON-serializable values)."""


@dataclass(frozen=True, slots=True)
class OcrWord:
    """A word as read from a page: by Tesseract, or a token of a text transcript."""

    text: str
    confidence: float | None
    """0.0-1.0 from Tesseract ``conf / 100``; ``None`` for text input."""
    box: Box | None
    """Position on the page image; ``None`` for text input."""
    line: int
    """0-based line number on the page, in reading order (Tesseract block/par/line)."""
    block: int = 0
    """Tesseract block number (0 for text input)."""


@dataclass(frozen=True, slots=True)
class OcrPage:
    """All words read from one input page."""

    ref: PageRef
    words: tuple[OcrWord, ...]
    width: int = 0
    """Page image width in pixels (0 for text input)."""
    height: int = 0
    """Page image height in pixels (0 for text input)."""
    dpi: int = 0
    """Resolution the boxes refer to (0 when unknown or text input)."""
    image_path: str | None = None
    """Path of a page image that the boxes refer to, when one exists on disk."""
    warnings: tuple[str, ...] = ()
    steps: tuple[ProcessingStep, ...] = ()

    def lines(self) -> list[tuple[OcrWord, ...]]:
        """Words grouped by line number, in order; empty lines are absent."""
        grouped: dict[int, list[OcrWord]] = {}
        for word in self.words:
            grouped.setdefault(word.line, []).append(word)
        return [tuple(grouped[number]) for number in sorted(grouped)]


class Zone(StrEnum):
    """What part of the cable a word belongs to.

    - ``header``: the cable's header block kept in the transcript (one copy).
    - ``body``: the message text.
    - ``signature``: the closing signature line(s).
    - ``header_repeat``: a later copy of the header block (removed, used for consensus).
    - ``page_header``: ``PAGE 02 MOSCOW 04648 ...`` lines (removed).
    - ``classification``: classification markings at page top/bottom (removed).
    - ``archive_stamp``: archive and release stamps (removed, kept as metadata).
    - ``review_box``: declassification review boxes (removed, kept as metadata).
    - ``stray``: stray marks, handwriting, noise (removed).
    """

    HEADER = "header"
    BODY = "body"
    SIGNATURE = "signature"
    HEADER_REPEAT = "header_repeat"
    PAGE_HEADER = "page_header"
    CLASSIFICATION = "classification"
    ARCHIVE_STAMP = "archive_stamp"
    REVIEW_BOX = "review_box"
    STRAY = "stray"


KEPT_ZONES = frozenset({Zone.HEADER, Zone.BODY, Zone.SIGNATURE})
"""Zones whose words appear in transcript.txt."""


class Action(StrEnum):
    """What happened to a word.

    - ``kept``: final text equals the OCR text.
    - ``corrected``: final text differs and the change was applied with confidence.
    - ``flagged``: the change (or the kept text) needs a reviewer; final text is the best guess.
    - ``removed``: the word is not in the transcript (boilerplate, repeated header, merged away).
    """

    KEPT = "kept"
    CORRECTED = "corrected"
    FLAGGED = "flagged"
    REMOVED = "removed"


class Source(StrEnum):
    """Which mechanism decided a word's final text."""

    NONE = ""
    DICTIONARY = "dictionary"
    BURST = "burst"
    SPLIT_MERGE = "split-merge"
    CONFUSION = "confusion"
    CASE = "case"
    HEADER_CONSENSUS = "header-consensus"
    STRUCTURE = "structure"
    REVIEWER = "reviewer"


@dataclass(frozen=True, slots=True)
class TranscriptWord:
    """One row of the confidence log: an OCR word and what became of it."""

    index: int
    """0-based position in reading order over the whole cable (stable id)."""
    page: PageRef | None
    line: int
    """Line number on the source page (``OcrWord.line``)."""
    box: Box | None
    ocr_text: str
    ocr_confidence: float | None
    final_text: str
    """Text in the transcript; may contain a space after a split; empty when merged away."""
    zone: Zone
    action: Action = Action.KEPT
    source: Source = Source.NONE
    posterior: float | None = None
    """Probability that ``final_text`` is right (calibrated), when a decision was made."""
    alternatives: tuple[str, ...] = ()
    """Other candidates, best first."""
    section: int | None = None
    """Cable section number (``SECTION 03 OF 07`` -> 3) when known."""
    paragraph: int | None = None
    """Index of the transcript paragraph (body) or header line (header) this word is in."""
    glue: str = " "
    """Text placed between the previous word of the paragraph and this one (``""`` after a
    joined line-end hyphen)."""

    @property
    def in_transcript(self) -> bool:
        """True when this word's final text is part of transcript.txt."""
        return self.action is not Action.REMOVED and self.zone in KEPT_ZONES


HEADER_FIELDS = (
    "cable_id",
    "post",
    "number",
    "sections",
    "precedence",
    "dtg",
    "from",
    "to",
    "classification",
    "caption",
    "eo",
    "tags",
    "subject",
    "ref",
)
"""Names of the cable header fields, in the order they are reported."""


@dataclass(frozen=True, slots=True)
class FieldValue:
    """A parsed header field with where it came from and how sure the parser is."""

    value: Any
    confidence: float
    page: PageRef | None = None
    line: int | None = None
    votes: int = 1
    """How many header copies agreed with this value."""
    alternatives: tuple[str, ...] = ()
    """Other readings seen in other copies."""


@dataclass(frozen=True, slots=True)
class PageInfo:
    """A page of the cable as scanned: its source and image geometry."""

    ref: PageRef
    width: int = 0
    """Image width in pixels (0 for text input)."""
    height: int = 0
    """Image height in pixels (0 for text input)."""
    dpi: int = 0
    """Resolution of the image the boxes refer to (0 when unknown)."""
    section: int | None = None
    """Cable section this page belongs to, when the structure stage found it."""
    page_in_section: int | None = None
    """Page number inside its section (from the PAGE line), when found."""


@dataclass(frozen=True, slots=True)
class Transcript:
    """The merged cable: header, body and every word's history.

    The text is derived from ``words``; nothing else holds transcript text, so the
    confidence log and the transcript cannot disagree.
    """

    words: tuple[TranscriptWord, ...]
    pages: tuple[PageInfo, ...] = ()
    """Input pages in reading order (after structure ordering)."""
    header: Mapping[str, FieldValue] = field(default_factory=dict)
    """Header fields by name (cable_id, post, number, sections, precedence, dtg, from, to,
    classification, caption, eo, tags, subject, ref)."""
    paragraph_kinds: Mapping[int, str] = field(default_factory=dict)
    """Kind of each body paragraph: paragraph, heading, summary_marker, list_item, gap."""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    """Removed boilerplate kept aside: archive stamps, review boxes, classification."""
    warnings: tuple[str, ...] = ()
    steps: tuple[ProcessingStep, ...] = ()

    @classmethod
    def from_tokens(
        cls,
        lines: Sequence[Sequence[str]],
        zone: Zone = Zone.BODY,
        confidence: float | None = None,
    ) -> Transcript:
        """A transcript of plain tokens, one paragraph per line (no pages, no boxes).

        For correcting text that did not come through the structure stage.
        """
        words: list[TranscriptWord] = []
        for number, tokens in enumerate(lines):
            for token in tokens:
                words.append(
                    TranscriptWord(
                        index=len(words),
                        page=None,
                        line=number,
                        box=None,
                        ocr_text=token,
                        ocr_confidence=confidence,
                        final_text=token,
                        zone=zone,
                        paragraph=number,
                    )
                )
        return cls(words=tuple(words))

    def zone_words(self, *zones: Zone) -> Iterator[TranscriptWord]:
        """Words in the transcript whose zone is one of ``zones``, in order."""
        for word in self.words:
            if word.in_transcript and word.zone in zones:
                yield word

    def blocks(self, *zones: Zone) -> list[tuple[int, str]]:
        """(paragraph id, text) of each non-empty paragraph of ``zones``, in reading order."""
        groups: dict[int, list[TranscriptWord]] = {}
        for word in self.zone_words(*zones):
            key = word.paragraph if word.paragraph is not None else -1
            groups.setdefault(key, []).append(word)
        blocks = []
        for key, words in groups.items():
            parts: list[str] = []
            for word in words:
                if not word.final_text:
                    continue
                if parts:
                    parts.append(word.glue)
                parts.append(word.final_text)
            text = "".join(parts).strip()
            if text:
                blocks.append((key, text))
        return blocks

    def _grouped(self, *zones: Zone) -> list[str]:
        return [text for _, text in self.blocks(*zones)]

    def header_lines(self) -> list[str]:
        """The header block, one string per line."""
        return self._grouped(Zone.HEADER)

    def body_paragraphs(self) -> list[str]:
        """Body paragraphs (headings and summary markers included) in reading order."""
        return self._grouped(Zone.BODY)

    def signature(self) -> str:
        """The signature line, or an empty string."""
        return " ".join(self._grouped(Zone.SIGNATURE))

    def text(self) -> str:
        """transcript.txt: the header block, a blank line, the body, the signature."""
        blocks = []
        header = self.header_lines()
        if header:
            blocks.append("\n".join(header))
        blocks.extend(self.body_paragraphs())
        signature = self.signature()
        if signature:
            blocks.append(signature)
        return "\n\n".join(blocks) + "\n" if blocks else ""
