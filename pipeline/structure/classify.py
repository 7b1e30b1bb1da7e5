"""Line classification: every line of every page gets a zone and a line kind.

Lines are labelled in reading order by a small state machine: before the first cable
header (web-archive preamble), inside a header block (parsed with ``grammar``), and in
the body. Page furniture (PAGE lines, classification markings, review boxes, archive
stamps, stray marks) is recognised in every state.

OCR'd scans also carry word boxes and confidences, and they are used where text alone
is ambiguous: the first and last line of a page image are where markings sit, a
review box is an indented block of lines, specks read as punctuation are tiny, and a
header line garbled beyond parsing is still recognised by its place in the header
block (between the receiving lines and a confident header line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from statistics import median

from pipeline.records import OcrPage, OcrWord, PageRef, Zone
from pipeline.structure import grammar
from pipeline.structure.grammar import Parsed

_ARCHIVE = re.compile(
    r"NATIONAL SECURITY ARCHIVE|^\W*Department of State\W*$|^\W*AN:\s*\S|^\W*TELEGRAM\W*$"
    r"|Wilson Center|Digital Archive|Original Scan|Declassified/Released|RELEASED IN (FULL|PART)"
    r"|DECLASSIFIED\s+Authority|REVIEW AUTHORITY|Copy from the",
    re.IGNORECASE,
)
_REVIEW_START = re.compile(
    r"^\W*\(?\s*Cat\s*\.?\s*\)?\s*[ABC]\b|^\W*(Reviewed|Received|Released)\s+by\b", re.IGNORECASE
)
_DATE = re.compile(r"^\W*(Date\s*:?)?\s*\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{2,4}\W*$", re.IGNORECASE)
_UNDERLINE = re.compile(r"^\s*[-_=\u2014\u2013]{3,}\s*$")
_MARKUP = re.compile(r"</?[a-z]+>|\*\*|~~|^#+\s|\[unclear\]", re.IGNORECASE)
_BODY_TOKEN = re.compile(r"[A-Za-z0-9]")
_PUNCT_TOKEN = re.compile(r"^[-.,;:()\"'/\u2013\u2014]+$")

_ADDRESS_KINDS = frozenset({"dtg", "fm", "to", "info", "xmt", "addressee"})
_DRAFTER_KINDS = frozenset({"eo", "tags", "subject", "ref"})


@dataclass(eq=False)
class Line:
    """One text line of a page, with its classification (mutable working record)."""

    page: int
    """Position of the page in the input."""
    ref: PageRef
    number: int
    words: tuple[OcrWord, ...]
    blank_before: bool = False
    kind: str = "body"
    zone: Zone = Zone.BODY
    parsed: Parsed | None = None
    underlined: bool = False
    word_zones: list[Zone | None] = field(default_factory=list)
    edge: bool = False
    """First or last line of a page image (where page furniture sits)."""
    inset: float = 0.0
    """Left edge minus the page's text margin, in line heights (0 without boxes)."""
    gap_before: float = 0.0
    """Vertical distance from the previous line's top, in line pitches (0 without boxes)."""

    @property
    def left(self) -> int | None:
        """Left edge of the line's words on the page image (``None`` for text input)."""
        boxes = [w.box.left for w in self.words if w.box is not None]
        return min(boxes) if boxes else None

    @property
    def confidence(self) -> float | None:
        """Mean OCR confidence of the words (``None`` for text input)."""
        values = [w.confidence for w in self.words if w.confidence is not None]
        return sum(values) / len(values) if values else None

    @property
    def text(self) -> str:
        """The line's words joined by single spaces."""
        return " ".join(w.text for w in self.words)

    def zone_of(self, position: int) -> Zone:
        """Zone of the word at ``position`` (a word-level override, else the line's)."""
        override = self.word_zones[position] if self.word_zones else None
        return override if override is not None else self.zone

    def set_word_zone(self, position: int, zone: Zone) -> None:
        """Give one word its own zone."""
        if not self.word_zones:
            self.word_zones = [None] * len(self.words)
        self.word_zones[position] = zone


def page_lines(page: OcrPage, position: int) -> list[Line]:
    """Group a page's words into ``Line`` records and mark lines after a blank gap.

    For text input a blank line is a gap in line numbers; for scans, a vertical gap of
    more than 1.7 times the median line pitch. With word boxes each line also gets its
    indent from the text margin and whether it is an isolated first or last line (page
    furniture such as classification markings sits there).
    """
    groups = page.lines()
    lines = [Line(position, page.ref, g[0].line, g) for g in groups]
    tops: list[float] = []
    heights: list[float] = []
    for group in groups:
        boxes = [w.box for w in group if w.box is not None]
        tops.append(min(b.top for b in boxes) if boxes else -1.0)
        heights.extend(w.box.height for w in group if w.box is not None and w.text.isalnum())
    have_boxes = all(t >= 0 for t in tops) and len(tops) > 2
    pitch = 0.0
    if have_boxes:
        steps = [b - a for a, b in zip(tops, tops[1:], strict=False) if b > a]
        pitch = median(steps) if steps else 0.0
    for i in range(1, len(lines)):
        if have_boxes and pitch > 0:
            lines[i].blank_before = tops[i] - tops[i - 1] > 1.7 * pitch
            lines[i].gap_before = (tops[i] - tops[i - 1]) / pitch
        else:
            lines[i].blank_before = lines[i].number - lines[i - 1].number > 1
    if have_boxes and pitch > 0 and heights:
        _geometry(lines, median(heights))
    return lines


def _geometry(lines: list[Line], height: float) -> None:
    """Fill ``inset`` and ``edge`` from the word boxes of one page."""
    lefts = [line.left for line in lines if len(line.words) >= 4 and line.left is not None]
    if not lefts:
        return
    lefts.sort()
    margin = lefts[len(lefts) // 4]
    for line in lines:
        left = line.left
        line.inset = (left - margin) / height if left is not None else 0.0
    lines[0].edge = lines[-1].edge = True


def _clean(text: str) -> str:
    return _MARKUP.sub(" ", text).strip()


def is_mixed_case(text: str) -> bool:
    """True when the line has lower-case letters (cable text is all caps)."""
    return any(c.islower() for c in _clean(text))


_WORD = re.compile(r"[A-Za-z]+")
_REVIEW_VOCABULARY = ("cat", "caption", "removed", "transferred", "reviewed", "date")
"""Words of the declassification review stamp, matched fuzzily in lower-case lines."""


def is_lower_line(text: str) -> bool:
    """Mostly lower/mixed case: not the text of an all-caps cable.

    True when at least half of the line's letters are lower case, or when two of its
    words of three or more letters hold lower-case letters (``iCat. Av Caption removed``).
    """
    words = _WORD.findall(_clean(text))
    letters = sum(len(w) for w in words)
    if not letters:
        return False
    lower = sum(c.islower() for w in words for c in w)
    mixed = sum(1 for w in words if len(w) >= 3 and any(c.islower() for c in w))
    return 2 * lower >= letters or mixed >= 2


def has_review_vocabulary(text: str) -> bool:
    """A word of the review stamp, OCR damage allowed (``iCat``, ``Captien``, ``Revewed``).

    Short words (``Cat``, ``Date``) match exactly or with one extra letter at either end;
    longer ones within one edit, or two for words of eight letters or more.
    """
    for word in _WORD.findall(text):
        token = word.lower()
        for target in _REVIEW_VOCABULARY:
            if len(target) <= 4:
                if token == target or (
                    len(token) == len(target) + 1
                    and (token.startswith(target) or token.endswith(target))
                ):
                    return True
            elif grammar.near(token, target, 1 if len(target) < 8 else 2):
                return True
    return False


def _cable_text(text: str) -> bool:
    """An upper-case line of four or more words: cable text, never part of a review box."""
    words = [w for w in _WORD.findall(_clean(text)) if len(w) >= 2]
    return len(words) >= 4 and not is_mixed_case(text)


def furniture_kind(text: str) -> str | None:
    """Context-free furniture test: page, class_only, archive, review, date, underline, stray."""
    if grammar.parse_page_line(text) is not None:
        return "page"
    if _UNDERLINE.match(text):
        return "underline"
    parsed = grammar.parse_class_line(text)
    if parsed is not None and parsed.kind == "class_only":
        return "class_only"
    if _ARCHIVE.search(text):
        return "archive"
    if _REVIEW_START.search(text):
        return "review"
    if _DATE.match(text):
        return "date"
    cleaned = _clean(text)
    if not _BODY_TOKEN.search(cleaned):
        return "stray"
    if re.fullmatch(r"\d{1,6}", cleaned):
        return "stray"
    return None


_CLASS_WORDS = tuple(w for level in grammar.CLASSIFICATIONS for w in level.split() if len(w) >= 5)


def edge_kind(line: Line) -> str | None:
    """Furniture known by position: a short first or last line of a page image.

    A line at the very top or bottom of a scan with at most three words is a
    classification marking when one of its words is (close to) a classification word
    (``SECRFT``, ``S EC RET``), and a stray mark when its OCR confidence is low.
    """
    if not line.edge:
        return None
    tokens = [t for t in grammar.join_spaced(line.text.split()) if any(c.isalnum() for c in t)]
    if not 1 <= len(tokens) <= 3:
        return None
    for token in tokens:
        word = grammar.letters(token.strip(".,;:-_*\"'"))[0]
        if any(grammar.near(word, target) for target in _CLASS_WORDS):
            return "class_only"
    confidence = line.confidence
    if confidence is not None and confidence < 0.5:
        return "stray"
    return None


def in_box(line: Line, box_inset: float) -> bool:
    """A line that lies inside an indented box (review stamp) by its position.

    Args:
        line: The candidate line (with word boxes).
        box_inset: The smallest indent of the box's lines so far, in line heights.
    """
    return line.inset >= 2.0 and line.inset >= box_inset - 1.0 and 0 < line.gap_before <= 2.5


def is_review_continuation(text: str) -> bool:
    """A line that continues a review box (mixed case, a date, ``[unclear]``)."""
    return is_mixed_case(text) or bool(_DATE.match(text)) or "[unclear]" in text.lower()


def _review_opener(text: str) -> bool:
    """A short caption-like line heading a review box (``NODIS REVIEW``, ``KODIS [unclear]``)."""
    tokens = _clean(text).split()
    if not tokens or len(tokens) > 3:
        return False
    if is_mixed_case(text) or "REVIEW" in text.upper() or "[unclear]" in text.lower():
        return True
    return any(grammar.caption_word(t) is not None for t in tokens)


def opens_header(line: Line) -> Parsed | None:
    """A line that starts a header copy: precedence/DTG line or classification line."""
    parsed = grammar.parse_dtg_line(line.text)
    if parsed is not None and parsed.confidence >= 0.3:
        return parsed
    parsed = grammar.parse_class_line(line.text)
    if parsed is not None and parsed.kind == "class":
        return parsed
    parsed = grammar.parse_fm(line.text)
    if parsed is not None and parsed.fields["from"].split()[0] in grammar.PLAD_PREFIXES:
        return parsed
    return None


@dataclass(eq=False)
class HeaderCopy:
    """The header lines of one section copy, in order."""

    lines: list[Line] = field(default_factory=list)
    receiving: list[Line] = field(default_factory=list)
    """PAGE, ACTION/INFO and dash-serial lines of this copy."""
    section: int | None = None

    def kinds(self) -> set[str]:
        """Line kinds seen in this copy."""
        return {line.kind for line in self.lines}


def _header_kind(line: Line, copy: HeaderCopy, previous: Line | None) -> Parsed | str | None:
    """Parse ``line`` as the next line of a header block; a str is a continuation kind."""
    text = line.text
    parsed: Parsed | None
    for parser in grammar.HEADER_PARSERS:
        parsed = parser(text)
        if parsed is None:
            continue
        if parsed.kind == "dtg" and "dtg" in copy.kinds():
            return None
        if (parsed.kind in _ADDRESS_KINDS or parsed.kind == "caption") and (
            copy.kinds() & _DRAFTER_KINDS
        ):
            continue
        return parsed
    if text.strip().upper() == "BT":
        return "bt"
    if (
        previous is not None
        and previous.kind in ("to", "info", "addressee")
        and not _DRAFTER_KINDS & copy.kinds()
        and re.fullmatch(r"[A-Z][A-Z/ ]{2,40}", text.strip())
        and len(text.split()) <= 4
    ):
        return "addressee"
    if previous is not None and previous.kind in ("subject", "ref", "subject_cont", "ref_cont"):
        wrapped = len(previous.text) >= 40 or previous.text.rstrip().endswith((",", ";", "AND"))
        if previous.kind.startswith("ref") and re.match(r"^\(?[A-Z]\)\s", text):
            wrapped = True
        if (
            wrapped
            and not line.blank_before
            and not is_mixed_case(text)
            and grammar.paragraph_number(text) is None
            and grammar.parse_summary_marker(text) is None
        ):
            return "ref_cont" if previous.kind.startswith("ref") else "subject_cont"
    return None


_LOOKAHEAD = 3
"""How many lines a garbled header line may stand before a line that anchors the block."""
_ANCHORS = (grammar.parse_eo, grammar.parse_tags, grammar.parse_subject, grammar.parse_fm)


def _header_like(line: Line) -> bool:
    """Could be a garbled header line: short, upper case, not a numbered paragraph."""
    text = line.text
    return (
        bool(line.words)
        and len(line.words) <= 10
        and not is_mixed_case(text)
        and grammar.paragraph_number(text) is None
        and grammar.parse_summary_marker(text) is None
    )


def _anchor(line: Line) -> Parsed | None:
    for parser in _ANCHORS:
        parsed = parser(line.text)
        if parsed is not None and parsed.confidence >= 0.5:
            return parsed
    return None


def _inside_block(lines: list[Line], index: int, copy: HeaderCopy) -> bool:
    """An unparsed line followed closely by a confident header line of the same block.

    A header block runs FM/TO, classification, caption, E.O., TAGS, SUBJECT; a line
    that OCR garbled beyond parsing still belongs to the block when a line that parses
    confidently as a later block line (and one the copy does not have yet) follows
    within ``_LOOKAHEAD`` header-like lines on the same page.
    """
    line = lines[index]
    if not _header_like(line) or "subject" in copy.kinds():
        return False
    for other in lines[index + 1 : index + 1 + _LOOKAHEAD]:
        if other.page != line.page or other.gap_before > 4:
            return False
        parsed = _anchor(other)
        if parsed is not None:
            return parsed.kind not in copy.kinds()
        if not _header_like(other):
            return False
    return False


def _pull_back(lines: list[Line], index: int, copy: HeaderCopy) -> None:
    """Take garbled lines between a page's receiving lines and a header opener into it.

    Up to ``_LOOKAHEAD`` header-like body lines right after a PAGE, routing or dash-serial
    line and right before the line that opened the header copy (an unreadable
    date-time group line, say) are header lines of that copy.
    """
    j = index - 1
    taken: list[Line] = []
    while j >= 0 and len(taken) < _LOOKAHEAD:
        line = lines[j]
        if line.page != lines[index].page or line.zone is not Zone.BODY:
            break
        if not _header_like(line):
            return
        taken.append(line)
        j -= 1
    if not taken or j < 0 or lines[j].zone is not Zone.PAGE_HEADER:
        return
    for line in taken:
        line.kind, line.zone = "unparsed", Zone.HEADER
    copy.lines[:0] = list(reversed(taken))


def classify(lines: list[Line], cable: bool) -> list[HeaderCopy]:
    """Label ``lines`` (in reading order) in place and return the header copies found.

    Args:
        lines: All lines of the cable in reading order.
        cable: Whether a cable header is expected (else no preamble and no
            mixed-case stray rule: the document may be a typed letter).

    Returns:
        Header copies in reading order; the first is the one kept in the transcript.
    """
    copies: list[HeaderCopy] = []
    state = "pre" if cable else "body"
    copy: HeaderCopy | None = None
    previous_header: Line | None = None
    in_review = False
    pending_receiving: list[Line] = []
    box_inset = 0.0
    for i, line in enumerate(lines):
        text = line.text
        furniture = furniture_kind(text)
        if furniture is None:
            furniture = edge_kind(line)
        if in_review and (
            furniture in ("review", "date")
            or (
                furniture in (None, "stray")
                and (
                    is_review_continuation(text)
                    or (in_box(line, box_inset) and not _cable_text(text))
                )
            )
        ):
            line.kind, line.zone = "review", Zone.REVIEW_BOX
            box_inset = min(box_inset, line.inset)
            continue
        in_review = False
        if furniture == "page":
            line.kind, line.zone = "page", Zone.PAGE_HEADER
            line.parsed = grammar.parse_page_line(text)
            pending_receiving = [line]
            if state == "header":
                state = "body"
            continue
        if furniture in ("review", "date") and (furniture == "review" or state != "header"):
            line.kind, line.zone = "review", Zone.REVIEW_BOX
            in_review = furniture == "review"
            box_inset = line.inset
            _mark_opener(lines, i)
            continue
        if furniture == "class_only":
            line.kind, line.zone = "class_only", Zone.CLASSIFICATION
            continue
        if furniture == "archive":
            line.kind, line.zone = "archive", Zone.ARCHIVE_STAMP
            continue
        if furniture == "stray" and state == "pre" and _BODY_TOKEN.search(text):
            line.kind, line.zone = "archive", Zone.ARCHIVE_STAMP
            continue
        if furniture in ("stray", "underline"):
            line.kind, line.zone = furniture, Zone.STRAY
            if furniture == "underline":
                _mark_underlined(lines, i)
            continue
        if state != "header" and cable:
            after_routing = bool(pending_receiving) and pending_receiving[-1].kind == "routing"
            receiving = grammar.parse_routing(text) or grammar.parse_serial(text, after_routing)
            if receiving is not None:
                line.kind, line.zone, line.parsed = receiving.kind, Zone.PAGE_HEADER, receiving
                pending_receiving.append(line)
                continue
        if state == "header" and copy is not None:
            result = _header_kind(line, copy, previous_header)
            if result is not None:
                if isinstance(result, str):
                    line.kind = result
                else:
                    line.kind, line.parsed = result.kind, result
                    if result.kind == "routing" or result.kind == "serial":
                        line.zone = Zone.PAGE_HEADER
                        copy.receiving.append(line)
                        continue
                    if result.kind == "class" and copy.section is None:
                        copy.section = result.fields.get("section")
                line.zone = Zone.HEADER
                copy.lines.append(line)
                previous_header = line
                continue
            if _inside_block(lines, i, copy):
                line.kind, line.zone = "unparsed", Zone.HEADER
                copy.lines.append(line)
                previous_header = line
                continue
            if re.fullmatch(r"[A-Z]{1,5}", text.strip()):
                line.kind, line.zone = "stray", Zone.STRAY
                continue
            state = "body"
        if cable and state != "header":
            opener = opens_header(line)
            if opener is not None:
                copy = HeaderCopy(receiving=pending_receiving)
                for receiving_line in pending_receiving:
                    if receiving_line.parsed is not None and copy.section is None:
                        copy.section = receiving_line.parsed.fields.get("section")
                copies.append(copy)
                pending_receiving = []
                line.kind, line.parsed, line.zone = opener.kind, opener, Zone.HEADER
                if opener.kind == "class":
                    copy.section = opener.fields.get("section", copy.section)
                copy.lines.append(line)
                previous_header = line
                state = "header"
                _pull_back(lines, i, copy)
                continue
        if state == "pre":
            line.kind, line.zone = "archive", Zone.ARCHIVE_STAMP
            continue
        line.kind, line.zone = "body", Zone.BODY
        clean = " ".join(w.text for n, w in enumerate(line.words) if not _noise(line, n))
        if cable and is_lower_line(clean):
            if has_review_vocabulary(clean) or _beside_box(lines, i):
                line.kind, line.zone = "review", Zone.REVIEW_BOX
                in_review, box_inset = True, line.inset
            else:
                line.kind, line.zone = "stray", Zone.STRAY
        elif cable and is_mixed_case(clean) and len(clean.split()) <= 3 and not _typed_caps(line):
            line.kind, line.zone = "stray", Zone.STRAY
    _foot_boxes(lines)
    _grow_boxes(lines)
    for header_copy in copies[1:]:
        for header_line in header_copy.lines:
            header_line.zone = Zone.HEADER_REPEAT
    _mark_words(lines)
    return copies


def _grow_boxes(lines: list[Line]) -> None:
    """Extend each review box over the indented lines next to it on the page image.

    A box line whose opening words OCR garbled (``iCat. Av Caption``) or a short line
    inside the box (``IIA/DFPC``) does not match any review pattern, but it sits at the
    box's indent (or right of it) and right above or below a box line. Needs word boxes.
    """
    i = 0
    while i < len(lines):
        if lines[i].zone is not Zone.REVIEW_BOX or lines[i].inset < 2.0:
            i += 1
            continue
        first = last = i
        while last + 1 < len(lines) and lines[last + 1].zone is Zone.REVIEW_BOX:
            last += 1
        inset = min(line.inset for line in lines[first : last + 1])
        while first > 0 and _box_member(lines[first - 1], lines[first], lines[first], inset):
            first -= 1
            lines[first].kind, lines[first].zone = "review", Zone.REVIEW_BOX
        while last + 1 < len(lines) and _box_member(
            lines[last + 1], lines[last], lines[last + 1], inset
        ):
            last += 1
            lines[last].kind, lines[last].zone = "review", Zone.REVIEW_BOX
        i = last + 1


def _beside_box(lines: list[Line], index: int) -> bool:
    """The line right above ``lines[index]`` on the same page is a review box line."""
    line = lines[index]
    if index == 0 or line.blank_before:
        return False
    above = lines[index - 1]
    return above.page == line.page and above.zone is Zone.REVIEW_BOX


def _foot_boxes(lines: list[Line]) -> None:
    """Lower-case lines below a page's last cable text line join the review box there.

    A review box is stamped at the foot of a page, below the body. Once a box line was
    found there, the mostly lower-case stray lines of that page below the last line of
    cable text that run on from it (no other furniture and no wide gap between) belong
    to it: box lines whose caption words OCR garbled beyond matching.
    """
    start = 0
    while start < len(lines):
        end = start
        while end < len(lines) and lines[end].page == lines[start].page:
            end += 1
        page = lines[start:end]
        last = max(
            (n for n, line in enumerate(page) if line.zone is Zone.BODY and line.kind == "body"),
            default=-1,
        )
        runs: list[list[Line]] = [[]]
        for line in page[last + 1 :]:
            joined = line.kind in ("review", "stray") and 0 <= line.gap_before <= 2.5
            if not joined and runs[-1]:
                runs.append([])
            if line.kind in ("review", "stray"):
                runs[-1].append(line)
        for run in runs:
            if any(line.zone is Zone.REVIEW_BOX for line in run):
                for line in run:
                    if line.kind == "stray" and is_lower_line(line.text):
                        line.kind, line.zone = "review", Zone.REVIEW_BOX
        start = end


def _box_member(other: Line, box_line: Line, lower: Line, inset: float) -> bool:
    """``other`` is indented like the box and touches ``box_line`` (``lower`` is the lower).

    An upper-case line of cable text is never a box line, however it is indented.
    """
    return (
        other.page == box_line.page
        and other.zone in (Zone.BODY, Zone.STRAY)
        and other.kind in ("body", "stray")
        and not (other.kind == "body" and _cable_text(other.text))
        and other.inset >= max(2.0, inset - 4.0)
        and 0 < lower.gap_before <= 2.5
    )


def _mark_opener(lines: list[Line], index: int) -> None:
    """Pull a short caption-like line just above a review box into the box."""
    j = index - 1
    while j >= 0 and lines[j].kind == "review":
        j -= 1
    if j >= 0 and lines[j].zone in (Zone.BODY, Zone.STRAY) and _review_opener(lines[j].text):
        lines[j].kind, lines[j].zone = "review", Zone.REVIEW_BOX


def _mark_underlined(lines: list[Line], index: int) -> None:
    if index > 0 and lines[index - 1].zone is Zone.BODY:
        lines[index - 1].underlined = True


def _mark_words(lines: list[Line]) -> None:
    """Word-level furniture inside body lines: stray marks and inlined page markings."""
    for i, line in enumerate(lines):
        if line.zone is not Zone.BODY:
            continue
        for position, word in enumerate(line.words):
            if is_stray_token(word.text) or _noise(line, position):
                line.set_word_zone(position, Zone.STRAY)
        _mark_inline_classification(lines, i)


def _typed_caps(line: Line) -> bool:
    """Two or more words of 3+ capitals read surely: cable text, whatever else is garbled.

    A short line with one misread lower-case letter (``yROFLEMS: ALLIANCE MANAGEMENT``)
    stays body; handwriting and stamp marks are rarely read as two confident capital words.
    """
    surely = [
        w
        for w in line.words
        if (w.confidence is None or w.confidence >= 0.8)
        and sum(c.isupper() for c in w.text) >= 3
        and not any(c.islower() for c in w.text)
    ]
    return len(surely) >= 2


def _noise(line: Line, position: int) -> bool:
    """A scanner speck or smudge read as a word, judged by its box and OCR confidence.

    Punctuation whose box is tiny next to the line's letters (a 2x2 px ``.``), a "dash"
    taller than wide (a vertical stroke) and a low-confidence lower-case token in an
    upper-case line are noise.
    """
    word = line.words[position]
    if word.box is None:
        return False
    text = word.text
    if not any(c.isalnum() for c in text):
        if set(text) <= set("-\u2013\u2014~") and word.box.height > word.box.width:
            return True
        sizes = [w.box.height for w in line.words if w.box is not None and w.text.isalnum()]
        size = median(sizes) if sizes else 30.0
        return max(word.box.width, word.box.height) < 0.25 * size
    confidence = word.confidence if word.confidence is not None else 1.0
    if text.isalpha() and text.islower() and confidence < 0.5:
        upper = sum(c.isupper() for w in line.words for c in w.text)
        lower = sum(c.islower() for w in line.words for c in w.text)
        return upper > 3 * lower
    return False


def is_stray_token(text: str) -> bool:
    """A mark inside a body line that is not text: ``✓``, ``—``, ``**``, ``~~X~~``."""
    if "~~" in text:
        return True
    cleaned = _clean(text)
    return bool(text) and not _BODY_TOKEN.search(cleaned) and not _PUNCT_TOKEN.match(cleaned)


def _mark_inline_classification(lines: list[Line], index: int) -> None:
    """``... (SOVIET SECRET SECRET`` before a page break: the markings are furniture."""
    line = lines[index]
    following = next((x for x in lines[index + 1 :] if x.kind != "stray"), None)
    if following is not None and following.kind not in ("page", "class_only"):
        return
    words = line.words
    end = len(words)
    start = end
    while start > 0:
        parsed = grammar.parse_class_line(words[start - 1].text)
        if parsed is None or parsed.kind != "class_only":
            break
        start -= 1
    if end - start >= 2 and start > 0:
        for position in range(start, end):
            line.set_word_zone(position, Zone.CLASSIFICATION)
