"""Body reflow: paragraphs across page and section breaks, hyphen joins, headings.

Rules (no dictionary is used here):

- A new paragraph starts at a numbered paragraph (``12.``), a heading, a summary marker
  (``BEGIN SUMMARY``/``END SUMMARY``, each its own entry), a list item (``--``, ``- ``,
  ``A.--``, ``(A)``, ``A.``) that follows a sentence end, and, within a page, after a
  blank line. Page furniture between two lines never separates paragraphs: a sentence
  cut at a page or section break continues.
- A heading is a line followed by an underline row, or a short all-caps line without
  final punctuation standing between a sentence end and a numbered paragraph; a short
  all-caps phrase after the last full stop of a line before a numbered paragraph is
  split off as a heading too.
- A line-end hyphen joins the next word with empty glue and the hyphen is kept
  (``NON-`` + ``PROLIFERATION`` -> ``NON-PROLIFERATION``); telegram compounds are far more
  common than words broken at a syllable, and the correction stage can still merge.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from pipeline.records import Zone
from pipeline.structure import grammar
from pipeline.structure.classify import Line, is_mixed_case

_DASH = "-\u2014\u2013~="
_LIST = re.compile(
    f"^([{_DASH}]{{2,}}|[\u2014\u2013]|-$|-\\s|[A-Z]\\.\\s*[{_DASH}]{{2,}}"
    r"|\([A-Z0-9]{1,2}\)|[A-Z0-9]\)\s|[A-Z]\.$)"
)
"""A list item marker; OCR reads the typed ``--`` as ``—-``, ``-—-`` or ``-~-`` too."""
_INLINE_LIST = re.compile(f"^[{_DASH}]{{2,}}[A-Z(]|^[\u2014\u2013][A-Z(]")
_SENTENCE_END = (".", ":", ";", "?", "!", '."', ".'", ".)", ")", '"')
_SIGNATURE_STOP = frozenset({"END", "UNQUOTE", "NNNN", "BT", "SUMMARY", "TEXT", "QUOTE"})


@dataclass
class Paragraph:
    """A body paragraph: its kind and its words as (line, position, glue)."""

    kind: str
    words: list[tuple[Line, int, str]] = field(default_factory=list)
    gap: str | None = None
    number: int | None = None


def body_positions(line: Line) -> list[int]:
    """Positions of a line's words that are body text."""
    return [i for i in range(len(line.words)) if line.zone_of(i) is Zone.BODY]


def ends_sentence(text: str) -> bool:
    """True when ``text`` (a word or line) ends a sentence or clause."""
    return text.rstrip().endswith(_SENTENCE_END)


def is_heading_text(text: str) -> bool:
    """Short all-caps line without final punctuation and without a paragraph marker."""
    words = text.split()
    if not 1 <= len(words) <= 7 or len(text) > 60 or is_mixed_case(text):
        return False
    if grammar.paragraph_number(text) is not None or _LIST.match(text):
        return False
    if text.rstrip()[-1] in ".,;-(" or not any(len(w) >= 2 and w.isalpha() for w in words):
        return False
    return sum(c.isalpha() for c in text) >= len(text.replace(" ", "")) * 0.7


def mark_signature(lines: list[Line], last_section: bool) -> None:
    """Split a lone surname off the end of the body as the signature.

    Args:
        lines: Body lines in reading order.
        last_section: Whether the last body line lies in the cable's last section.
    """
    if not last_section:
        return
    for line in reversed(lines):
        positions = body_positions(line)
        if not positions:
            continue
        last = line.words[positions[-1]].text
        alone = len(positions) == 1
        after_end = len(positions) >= 2 and ends_sentence(line.words[positions[-2]].text)
        if (
            (alone or after_end)
            and re.fullmatch(r"[A-Z][A-Z'-]{2,19}", last)
            and last not in _SIGNATURE_STOP
            and grammar.parse_summary_marker(last) is None
        ):
            line.set_word_zone(positions[-1], Zone.SIGNATURE)
        return


def _segments(line: Line, next_numbered: bool) -> list[tuple[list[int], str | None]]:
    """Split a body line where an inline heading or inline list item starts."""
    positions = body_positions(line)
    cuts: list[tuple[int, str]] = []
    texts = [line.words[i].text for i in positions]
    for k in range(1, len(texts)):
        if _INLINE_LIST.match(texts[k]) and ends_sentence(texts[k - 1]):
            cuts.append((k, "list_item"))
    if next_numbered and len(texts) >= 3:
        last_end = max((k for k in range(len(texts) - 1) if texts[k].endswith(".")), default=-1)
        tail = " ".join(texts[last_end + 1 :])
        if (
            0 <= last_end < len(texts) - 1
            and is_heading_text(tail)
            and len(tail.split()) <= 6
            and all(k <= last_end for k, _ in cuts)
        ):
            cuts.append((last_end + 1, "heading"))
    segments: list[tuple[list[int], str | None]] = []
    start, kind = 0, None
    for cut, cut_kind in cuts:
        segments.append((positions[start:cut], kind))
        start, kind = cut, cut_kind
    segments.append((positions[start:], kind))
    return [s for s in segments if s[0]]


def build_paragraphs(stream: list[tuple[str, Line | str | None]]) -> list[Paragraph]:
    """Build body paragraphs from the reading-order stream.

    Args:
        stream: Items ``("line", Line)`` for lines with body words, ``("break", None)``
            for any removed line in between, ``("gap", label)`` for a gap marker.

    Returns:
        Paragraphs in order.
    """
    body = [item for kind, item in stream if kind == "line" and isinstance(item, Line)]
    following = {
        id(line): body[i + 1] if i + 1 < len(body) else None for i, line in enumerate(body)
    }
    paragraphs: list[Paragraph] = []
    furniture = False
    closed = True
    previous_text = ""
    for kind, item in stream:
        if kind == "break":
            furniture = True
            continue
        if kind == "gap":
            paragraphs.append(Paragraph("gap", gap=str(item)))
            closed, furniture, previous_text = True, False, ""
            continue
        if not isinstance(item, Line):
            continue
        line = item
        nxt = following[id(line)]
        next_numbered = nxt is not None and grammar.paragraph_number(nxt.text) is not None
        for number, (positions, forced) in enumerate(_segments(line, next_numbered)):
            text = " ".join(line.words[i].text for i in positions)
            new_kind: str | None = forced
            if number == 0:
                new_kind = _line_start(line, text, previous_text, furniture, next_numbered, closed)
            if new_kind is not None:
                paragraphs.append(Paragraph(new_kind, number=grammar.paragraph_number(text)))
            current = paragraphs[-1]
            for position in positions:
                glue = " "
                if current.words:
                    last_line, last_pos, _ = current.words[-1]
                    last = last_line.words[last_pos].text
                    if last_line is not line and re.search(r"[A-Za-z0-9]-$", last):
                        glue = ""
                current.words.append((line, position, glue))
            previous_text = text
            closed = new_kind in ("heading", "summary_marker")
        furniture = False
    return paragraphs


def _line_start(
    line: Line, text: str, previous: str, furniture: bool, next_numbered: bool, closed: bool
) -> str | None:
    """Kind of the paragraph this line starts, or ``None`` when it continues one."""
    if grammar.paragraph_number(text) is not None:
        return "paragraph"
    if grammar.parse_summary_marker(text) is not None:
        return "summary_marker"
    after_end = not previous or ends_sentence(previous)
    if line.underlined and is_heading_text(text):
        return "heading"
    if after_end and next_numbered and is_heading_text(text):
        return "heading"
    if _LIST.match(text) and (after_end or (line.blank_before and not furniture)):
        return "list_item"
    if closed or (line.blank_before and not furniture):
        return "paragraph"
    return None


def numbering_warnings(paragraphs: list[Paragraph]) -> list[str]:
    """Warnings for gaps and duplicates in paragraph numbering."""
    numbers = [p.number for p in paragraphs if p.kind == "paragraph" and p.number is not None]
    if len(numbers) < 2:
        return []
    warnings = []
    counts = Counter(numbers)
    for number in sorted(n for n, c in counts.items() if c > 1):
        warnings.append(f"paragraph {number} appears {counts[number]} times")
    missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
    if missing:
        shown = ", ".join(str(n) for n in missing[:10])
        warnings.append(f"paragraph numbering has gaps: {shown} missing")
    out_of_order = sum(1 for a, b in zip(numbers, numbers[1:], strict=False) if b < a)
    if out_of_order:
        warnings.append(f"paragraph numbers go backwards {out_of_order} time(s)")
    return warnings
