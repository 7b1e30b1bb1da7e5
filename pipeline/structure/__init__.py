"""Stage 3: cable structure.

Turns OCR pages (scans in any order, or one text transcript) into one ``Transcript``:
logical pages are ordered by their headers, every line is classified into a zone, the
header copies are voted into one header, and the body is reflowed into paragraphs.
Every OCR word becomes exactly one ``TranscriptWord``; boilerplate is removed, not lost.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from pipeline.records import (
    HEADER_FIELDS,
    Action,
    FieldValue,
    OcrPage,
    PageInfo,
    ProcessingStep,
    Source,
    Transcript,
    TranscriptWord,
    Zone,
)
from pipeline.structure import grammar
from pipeline.structure.classify import HeaderCopy, Line, classify, opens_header
from pipeline.structure.consensus import Consensus, vote
from pipeline.structure.merge import (
    Paragraph,
    body_positions,
    build_paragraphs,
    mark_signature,
    numbering_warnings,
)
from pipeline.structure.ordering import (
    Unit,
    check_one_cable,
    find_gaps,
    order_units,
    section_count,
    split_units,
)

__all__ = ["build_transcript"]

NO_HEADER = "no cable header found"


def build_transcript(pages: Sequence[OcrPage]) -> Transcript:
    """Structure the pages of one cable into a transcript.

    Args:
        pages: OCR pages in input order (scans may be shuffled; a text transcript is
            one page and is split at its PAGE lines).

    Returns:
        The transcript with header fields, zones, paragraphs, metadata and warnings.

    Raises:
        CableError: The pages mix two cables, or their section counts contradict each
            other with no majority.
    """
    warnings: list[str] = [w for page in pages for w in page.warnings]
    units = split_units(pages)
    cable_id = check_one_cable(units)
    class_counts = [
        parsed.fields["sections"]
        for unit in units
        for line in unit.lines[:60]
        if (parsed := grammar.parse_class_line(line.text)) is not None
        and parsed.kind == "class"
        and "sections" in parsed.fields
    ]
    total, count_warnings = section_count(units, class_counts)
    warnings += count_warnings
    if total is not None:
        for unit in units:
            if unit.sections is not None and unit.sections != total:
                unit.sections = total
    ordered, dropped, order_warnings = order_units(units)
    warnings += order_warnings
    gaps, gap_warnings = find_gaps(ordered, total)
    warnings += gap_warnings

    lines = [line for unit in ordered for line in unit.lines]
    cable = cable_id is not None or any(opens_header(line) is not None for line in lines)
    copies = classify(lines, cable)
    if not copies:
        warnings.append(NO_HEADER)
        if cable:
            for line in lines:
                if line.zone is Zone.ARCHIVE_STAMP and line.kind == "archive":
                    _reclassify_plain(line)
    for unit in dropped:
        classify(unit.lines, cable)
        for line in unit.lines:
            line.zone = _dropped_zone(line.zone)
            line.word_zones = []

    page_lines = [line for line in lines if line.kind == "page"]
    consensus = vote(copies, page_lines)
    released = {id(line) for line in consensus.released}
    for line in consensus.released:
        line.kind, line.zone = "body", Zone.BODY
    warnings += [
        f"header field {d['field']} differs between copies; chose {d['chosen']!r}"
        for d in consensus.disagreements
        if d["field"] != "cable_id"
    ]

    section_of = {id(line): unit.section for unit in ordered for line in unit.lines}
    body_lines = [line for line in lines if line.zone is Zone.BODY and body_positions(line)]
    if copies and body_lines:
        last_section = section_of.get(id(body_lines[-1]))
        mark_signature(body_lines, total is None or last_section in (None, total))

    stream: list[tuple[str, Line | str | None]] = []
    for position, unit in enumerate(ordered):
        for label in gaps.get(position, []):
            stream.append(("gap", label))
        for line in unit.lines:
            if line.zone is Zone.BODY and body_positions(line):
                stream.append(("line", line))
            elif line.zone is not Zone.BODY or id(line) in released:
                stream.append(("break", None))
    for label in gaps.get(len(ordered), []):
        stream.append(("gap", label))
    paragraphs = build_paragraphs(stream)
    warnings += numbering_warnings(paragraphs)

    header_fields = _header_fields(consensus, total)
    words, kinds = _words(ordered, dropped, copies, consensus, paragraphs, section_of, gaps)
    metadata = _metadata(ordered, copies, consensus, lines)
    page_infos = _page_infos(pages, ordered)
    step = ProcessingStep(
        "structure",
        "ordered pages by their headers, classified lines, voted the header, reflowed the body",
        {"logical_pages": len(ordered), "header_copies": len(copies), "sections": total},
    )
    return Transcript(
        words=tuple(words),
        pages=tuple(page_infos),
        header=header_fields,
        paragraph_kinds=kinds,
        metadata=metadata,
        warnings=tuple(dict.fromkeys(warnings)),
        steps=(*(s for page in pages for s in page.steps), step),
    )


def _reclassify_plain(line: Line) -> None:
    """Without any header, a line that only fell in the preamble is body text."""
    line.kind, line.zone = "body", Zone.BODY


def _dropped_zone(zone: Zone) -> Zone:
    if zone is Zone.HEADER:
        return Zone.HEADER_REPEAT
    if zone in (Zone.BODY, Zone.SIGNATURE):
        return Zone.STRAY
    return zone


def _header_fields(consensus: Consensus, total: int | None) -> dict[str, FieldValue]:
    fields = dict(consensus.fields)
    fields.pop("zff", None)
    cable = fields.get("cable_id")
    if cable is not None:
        post, _, number = str(cable.value).rpartition(" ")
        fields["post"] = FieldValue(
            post, cable.confidence, cable.page, cable.line, cable.votes, cable.alternatives
        )
        fields["number"] = FieldValue(
            number, cable.confidence, cable.page, cable.line, cable.votes, cable.alternatives
        )
    sections = fields.get("sections")
    if sections is not None and total is not None and sections.value != total:
        fields["sections"] = FieldValue(
            total, sections.confidence * 0.5, sections.page, sections.line
        )
    return {key: fields[key] for key in HEADER_FIELDS if key in fields}


def _words(
    ordered: list[Unit],
    dropped: list[Unit],
    copies: list[HeaderCopy],
    consensus: Consensus,
    paragraphs: list[Paragraph],
    section_of: dict[int, int | None],
    gaps: dict[int, list[str]],
) -> tuple[list[TranscriptWord], dict[int, str]]:
    """Emit one TranscriptWord per OCR word in reading order, plus gap markers."""
    header_pid: dict[int, int] = {}
    if copies:
        for number, line in enumerate(x for x in copies[0].lines if x.zone is Zone.HEADER):
            header_pid[id(line)] = number
    offset = len(header_pid)
    placement: dict[tuple[int, int], tuple[int, str]] = {}
    kinds: dict[int, str] = {}
    for number, paragraph in enumerate(paragraphs):
        pid = offset + number
        kinds[pid] = paragraph.kind
        for line, position, glue in paragraph.words:
            placement[(id(line), position)] = (pid, glue)
    signature_pid = offset + len(paragraphs)

    gap_queue = [offset + n for n, p in enumerate(paragraphs) if p.gap is not None]
    words: list[TranscriptWord] = []

    def emit_gaps(position: int) -> None:
        for label in gaps.get(position, []):
            pid = gap_queue.pop(0) if gap_queue else signature_pid
            words.append(
                TranscriptWord(
                    index=len(words),
                    page=None,
                    line=0,
                    box=None,
                    ocr_text="",
                    ocr_confidence=None,
                    final_text=f"[GAP: {label}]",
                    zone=Zone.BODY,
                    action=Action.CORRECTED,
                    source=Source.STRUCTURE,
                    posterior=1.0,
                    paragraph=pid,
                )
            )

    def emit_unit(
        unit: Unit,
        placement: dict[tuple[int, int], tuple[int, str]],
        header_pid: dict[int, int],
        section_of: dict[int, int | None],
    ) -> None:
        for line in unit.lines:
            for index in range(len(line.words)):
                words.append(
                    _word(
                        len(words),
                        line,
                        index,
                        placement,
                        header_pid,
                        signature_pid,
                        consensus,
                        section_of,
                    )
                )

    for position, unit in enumerate(ordered):
        emit_gaps(position)
        emit_unit(unit, placement, header_pid, section_of)
    emit_gaps(len(ordered))
    for unit in dropped:
        emit_unit(unit, {}, {}, {id(line): unit.section for line in unit.lines})
    return words, kinds


def _word(
    index: int,
    line: Line,
    position: int,
    placement: dict[tuple[int, int], tuple[int, str]],
    header_pid: dict[int, int],
    signature_pid: int,
    consensus: Consensus,
    section_of: dict[int, int | None],
) -> TranscriptWord:
    word = line.words[position]
    zone = line.zone_of(position)
    paragraph: int | None = None
    glue = " "
    final = word.text
    action = Action.KEPT
    source = Source.NONE
    posterior: float | None = None
    alternatives: tuple[str, ...] = ()
    if zone is Zone.HEADER and id(line) in header_pid:
        paragraph = header_pid[id(line)]
        fix = consensus.fixes.get((id(line), position))
        if fix is not None:
            final, action, source = fix.final_text, fix.action, fix.source
            posterior, alternatives = fix.posterior, fix.alternatives
    elif zone is Zone.BODY:
        placed = placement.get((id(line), position))
        if placed is None:
            zone, action = Zone.STRAY, Action.REMOVED
        else:
            paragraph, glue = placed
    elif zone is Zone.SIGNATURE:
        paragraph = signature_pid
    else:
        action = Action.REMOVED
    if zone is Zone.HEADER and id(line) not in header_pid:
        zone, action = Zone.HEADER_REPEAT, Action.REMOVED
    return TranscriptWord(
        index=index,
        page=line.ref,
        line=word.line,
        box=word.box,
        ocr_text=word.text,
        ocr_confidence=word.confidence,
        final_text=final,
        zone=zone,
        action=action,
        source=source,
        posterior=posterior,
        alternatives=alternatives,
        section=section_of.get(id(line)),
        paragraph=paragraph,
        glue=glue,
    )


def _page_no(line: Line) -> int:
    return line.ref.index + 1


def _metadata(
    ordered: list[Unit], copies: list[HeaderCopy], consensus: Consensus, lines: list[Line]
) -> dict[str, Any]:
    stamps: list[dict[str, Any]] = []
    boxes: list[dict[str, Any]] = []
    marks: Counter[str] = Counter()
    mark_pages: set[int] = set()
    previous: Line | None = None
    for line in lines:
        if line.zone is Zone.ARCHIVE_STAMP:
            if previous is not None and previous.zone is Zone.ARCHIVE_STAMP and stamps:
                stamps[-1]["text"] += "\n" + line.text
            else:
                stamps.append({"text": line.text, "page": _page_no(line)})
        elif line.zone is Zone.REVIEW_BOX:
            if previous is None or previous.zone is not Zone.REVIEW_BOX or not boxes:
                boxes.append(
                    {
                        "lines": [],
                        "page": _page_no(line),
                        "reviewed_by": None,
                        "date": None,
                        "categories": [],
                    }
                )
            _add_review_line(boxes[-1], line.text)
        if line.kind == "class_only" and line.parsed is None:
            parsed = grammar.parse_class_line(line.text)
            level = parsed.fields["classification"] if parsed else line.text
            marks[level] += 1
            mark_pages.add(_page_no(line))
        for position in range(len(line.words)):
            if (
                line.zone is not Zone.CLASSIFICATION
                and line.zone_of(position) is Zone.CLASSIFICATION
            ):
                marks[line.words[position].text.upper()] += 1
                mark_pages.add(_page_no(line))
        if line.words:
            previous = line
    sections: list[dict[str, Any]] = []
    by_section: dict[int | None, dict[str, Any]] = {}
    for unit in ordered:
        entry = by_section.get(unit.section)
        if entry is None:
            entry = {
                "section": unit.section,
                "pages": [],
                "logical_pages": [],
                "page_times": [],
                "to_serial": None,
            }
            by_section[unit.section] = entry
            sections.append(entry)
        page = _page_no(unit.lines[0]) if unit.lines else None
        if page is not None and page not in entry["pages"]:
            entry["pages"].append(page)
        entry["logical_pages"].append(unit.page)
        if unit.time:
            entry["page_times"].append(unit.time)
    routing: list[dict[str, Any]] = []
    for copy in copies:
        record: dict[str, Any] = {
            "section": copy.section,
            "action": [],
            "info": [],
            "checksum": None,
            "checksum_ok": None,
            "serial": None,
        }
        for line in copy.receiving:
            parsed = line.parsed
            if parsed is None:
                continue
            if parsed.kind == "routing":
                key = "action" if parsed.fields["label"] in ("ACTION", "ORIGIN") else "info"
                record[key] += [f"{code}-{count:02d}" for code, count in parsed.fields["offices"]]
                if parsed.fields["checksum"] is not None:
                    record["checksum"] = parsed.fields["checksum"]
            elif parsed.kind == "serial":
                record["serial"] = parsed.fields["serial"]
        if record["checksum"] is not None:
            counts = [int(x.rsplit("-", 1)[1]) for x in record["action"] + record["info"]]
            record["checksum_ok"] = sum(counts) == record["checksum"]
        routing.append(record)
        to = next((x.parsed for x in copy.lines if x.parsed and x.parsed.kind == "to"), None)
        if to is not None and copy.section in by_section:
            by_section[copy.section]["to_serial"] = to.fields.get("serial")
    return {
        "archive_stamps": stamps,
        "review_boxes": boxes,
        "classification_markings": {"counts": dict(marks), "pages": sorted(mark_pages)},
        "routing": routing,
        "sections": sections,
        "header_disagreements": consensus.disagreements,
    }


_NAME_EDGES = " '\"`\u2018\u2019\u201c\u201d,;:"
"""Quotes and punctuation OCR reads around a handwritten reviewer name (``\u2018Ehery``)."""


_LETTERS = re.compile(r"[^\W\d_]+")
_DATE = re.compile(r"\W*(?<!\d)(\d{1,2})\s*[/,.-]\s*(\d{1,2})\s*[/,.-]\s*(\d{2,4})(?!\d)")
"""Month, day and year of a review date; OCR may read a slash as a comma or a point."""


def _near(word: str, label: str, edits: int) -> bool:
    return grammar.near(word.lower(), label, edits)


def _after_label(text: str, label: str, follower: str) -> str | None:
    """The text after the first ``label follower`` (``Reviewed by``) in an OCR line, or None.

    Labels typed on a declassification stamp are often misread (``Rewewed ty``): the label
    matches within a third of its letters in edits, the follower within one, with nothing
    but spaces and punctuation between them; a label matched within one edit may instead
    be followed by a colon (``Reviewed: F. Kelly``).
    """
    words = list(_LETTERS.finditer(text))
    for k, word in enumerate(words):
        if not _near(word.group(), label, max(1, len(label) // 3)):
            continue
        after = words[k + 1] if k + 1 < len(words) else None
        if (
            after is not None
            and not any(c.isalnum() for c in text[word.end() : after.start()])
            and _near(after.group(), follower, 1)
        ):
            return text[after.end() :]
        rest = text[word.end() :].lstrip()
        if rest.startswith(":") and _near(word.group(), label, 1):
            return rest[1:]
    return None


def _review_date(text: str) -> tuple[str, int] | None:
    """The review date of an OCR line (``Date. 9/8, 94`` -> ``9/8/94``) and where its label starts.

    A date counts after a ``Date`` label (one edit allowed) or at the start of the line;
    month and day must be in range.
    """
    spots = [(m.start(), m.end()) for m in _LETTERS.finditer(text) if _near(m.group(), "date", 1)]
    for start, end in [*spots, (0, 0)]:
        date = _DATE.match(text, end)
        if date is None:
            continue
        month, day, year = date.groups()
        if 1 <= int(month) <= 12 and 1 <= int(day) <= 31:
            return f"{month}/{day}/{year}", start
    return None


def _add_review_line(box: dict[str, Any], text: str) -> None:
    clean = re.sub(r"</?[a-z]+>|\*", "", text).strip()
    box["lines"].append(clean)
    category = re.search(r"Cat\s*\.?\s*\)?\s*([ABC])\b", clean, re.IGNORECASE)
    if category and category.group(1).upper() not in box["categories"]:
        box["categories"].append(category.group(1).upper())
    rest = _after_label(clean, "reviewed", "by")
    if rest is None:
        rest = _after_label(clean, "received", "by")
    if rest is not None:
        dated = _review_date(rest)
        name = (rest[: dated[1]] if dated else rest).strip(_NAME_EDGES)
        if any(c.isalpha() for c in name):
            box["reviewed_by"] = name
    dated = _review_date(clean)
    if dated:
        box["date"] = dated[0]


def _page_infos(pages: Sequence[OcrPage], ordered: list[Unit]) -> list[PageInfo]:
    """Input pages in reading order, each with the section/page of its first logical page."""
    infos: list[PageInfo] = []
    seen: set[int] = set()
    for unit in ordered:
        if not unit.lines or unit.lines[0].page in seen:
            continue
        page = pages[unit.lines[0].page]
        seen.add(unit.lines[0].page)
        infos.append(PageInfo(page.ref, page.width, page.height, page.dpi, unit.section, unit.page))
    for position, page in enumerate(pages):
        if position not in seen:
            infos.append(PageInfo(page.ref, page.width, page.height, page.dpi))
    return infos
