"""ALTO 4.4 XML for a whole cable: one ``Page`` per scanned page, in reading order.

Choices (see README "Archive formats"):

- Coordinates are pixels of the source page image (``MeasurementUnit`` ``pixel``). Without
  a page image (text input) the geometry attributes, all optional in ALTO 4.4, are left out.
- A ``TextBlock`` is the header block, a body paragraph or the signature of one page; a
  ``TextLine`` is one source line; a ``String`` is one whitespace-free token of the final
  text. A split correction (``USE THIS``) becomes one ``String`` per token with the word box
  shared in proportion to the characters; the first carries the alternatives.
- ``WC`` is the posterior when the text was changed, else the OCR confidence. The OCR reading
  of a changed word is an ``ALTERNATIVE`` with ``PURPOSE="ocr"``; other candidates have
  ``PURPOSE="candidate"``. Reviewer decisions set ``CS="true"``.
- Words broken across lines (glue ``""``) are ``HypPart1``/``HypPart2`` with the joined word
  in ``SUBS_CONTENT`` and a ``HYP`` element for a printed hyphen.
- Boilerplate (page headers, classification lines, stamps, review boxes, repeated headers,
  stray marks) and removed words are kept so the layout is complete, in blocks whose
  ``TAGREFS`` point to a ``LayoutTag`` of ``TYPE="boilerplate"``. Transcript blocks point to
  a ``StructureTag`` (``header``, ``body``, ``signature``); flagged words point to an
  ``OtherTag`` of ``TYPE="review"``.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from pipeline.formats._layout import (
    Block,
    Page,
    Piece,
    changed,
    layout,
    xml_text,
)
from pipeline.records import (
    Action,
    Box,
    PageInfo,
    PageRef,
    ProcessingStep,
    Source,
    Transcript,
    Zone,
)
from pipeline.resources import package_version

NAMESPACE = "http://www.loc.gov/standards/alto/ns-v4#"
XLINK = "http://www.w3.org/1999/xlink"
SCHEMA_LOCATION = f"{NAMESPACE} http://www.loc.gov/standards/alto/v4/alto-4-4.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

STRUCTURE_KINDS = (Zone.HEADER.value, Zone.BODY.value, Zone.SIGNATURE.value)
BOILERPLATE_LABELS = {
    Zone.PAGE_HEADER.value: "running page header line",
    Zone.CLASSIFICATION.value: "classification marking",
    Zone.ARCHIVE_STAMP.value: "archive or release stamp",
    Zone.REVIEW_BOX.value: "declassification review box",
    Zone.HEADER_REPEAT.value: "repeated copy of the cable header",
    Zone.STRAY.value: "stray mark, handwriting or noise",
    "removed": "word removed from the transcript",
}
REVIEW_TAG = "TAG_review"
_CATEGORIES = {
    "ingest": "preOperation",
    "preprocess": "preOperation",
    "ocr": "contentGeneration",
    "structure": "postOperation",
    "correct": "contentModification",
    "review": "contentModification",
}


def _tag_id(kind: str) -> str:
    return f"TAG_{kind}"


def _sub(parent: ET.Element, name: str, **attrs: str) -> ET.Element:
    return ET.SubElement(parent, f"{{{NAMESPACE}}}{name}", attrs)


def _geometry(element: ET.Element, box: Box | None) -> None:
    if box is None:
        return
    element.set("HPOS", str(box.left))
    element.set("VPOS", str(box.top))
    element.set("WIDTH", str(box.width))
    element.set("HEIGHT", str(box.height))


def _number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") if value else "0"


def _description(root: ET.Element, transcript: Transcript, pages: list[Page]) -> None:
    description = _sub(root, "Description")
    _sub(description, "MeasurementUnit").text = "pixel"
    sources = list(dict.fromkeys(page.info.ref.source for page in pages if page.info.ref.source))
    if sources:
        info = _sub(description, "sourceImageInformation")
        _sub(info, "fileName").text = xml_text(sources[0])
        for source in sources:
            _sub(info, "fileIdentifier", fileIdentifierLocation="path").text = xml_text(source)
    for number, step in enumerate(transcript.steps, start=1):
        _processing(description, f"PROC_{number}", step)


def _processing(parent: ET.Element, ident: str, step: ProcessingStep) -> None:
    element = _sub(parent, "Processing", ID=ident)
    _sub(element, "processingCategory").text = _CATEGORIES.get(step.stage, "other")
    description = xml_text(f"{step.stage}: {step.description}")
    _sub(element, "processingStepDescription").text = description
    if step.settings:
        settings = json.dumps(dict(step.settings), sort_keys=True, default=str)
        _sub(element, "processingStepSettings").text = xml_text(settings)
    software = _sub(element, "processingSoftware")
    _sub(software, "softwareName").text = "cable-ocr"
    _sub(software, "softwareVersion").text = package_version()


def _tags(root: ET.Element, pages: list[Page]) -> None:
    kinds = {block.kind for page in pages for block in page.blocks}
    flagged = any(piece.word.action is Action.FLAGGED for page in pages for piece in page.pieces())
    if not kinds and not flagged:
        return
    tags = _sub(root, "Tags")
    for kind, label in BOILERPLATE_LABELS.items():
        if kind in kinds:
            _sub(
                tags,
                "LayoutTag",
                ID=_tag_id(kind),
                TYPE="boilerplate",
                LABEL=kind,
                DESCRIPTION=f"not part of the transcript: {label}",
            )
    for kind in STRUCTURE_KINDS:
        if kind in kinds:
            _sub(
                tags,
                "StructureTag",
                ID=_tag_id(kind),
                TYPE="transcript",
                LABEL=kind,
                DESCRIPTION=f"cable {kind}, part of the transcript",
            )
    if flagged:
        _sub(
            tags,
            "OtherTag",
            ID=REVIEW_TAG,
            TYPE="review",
            LABEL="flagged",
            DESCRIPTION="word flagged for human review",
        )


def _string(line: ET.Element, piece: Piece) -> None:
    word = piece.word
    string = _sub(line, "String", ID=piece.id, CONTENT=piece.text)
    _geometry(string, piece.box)
    if piece.confidence is not None:
        string.set("WC", _number(piece.confidence))
    if piece.hyphen_role and piece.subs_content is not None:
        string.set("SUBS_TYPE", piece.hyphen_role)
        string.set("SUBS_CONTENT", xml_text(piece.subs_content))
    if word.source is Source.REVIEWER:
        string.set("CS", "true")
    if word.action is Action.FLAGGED and word.in_transcript:
        string.set("TAGREFS", REVIEW_TAG)
    if not piece.first or not word.in_transcript:
        return
    seen = {word.final_text}
    if word.ocr_text and changed(word):
        _sub(string, "ALTERNATIVE", PURPOSE="ocr").text = xml_text(word.ocr_text)
        seen.add(word.ocr_text)
    for candidate in word.alternatives:
        if candidate and candidate not in seen:
            seen.add(candidate)
            _sub(string, "ALTERNATIVE", PURPOSE="candidate").text = xml_text(candidate)


def _block(parent: ET.Element, page: Page, number: int, block: Block) -> None:
    ident = f"P{page.number}_B{number}"
    element = _sub(parent, "TextBlock", ID=ident, TAGREFS=_tag_id(block.kind))
    _geometry(element, block.box)
    for line_number, line in enumerate(block.lines, start=1):
        line_element = _sub(element, "TextLine", ID=f"{ident}_L{line_number}")
        _geometry(line_element, line.box)
        for position, piece in enumerate(line.pieces):
            _string(line_element, piece)
            following = line.pieces[position + 1] if position + 1 < len(line.pieces) else None
            if following is not None and not following.joins_previous:
                space = _sub(line_element, "SP")
                if piece.box is not None and following.box is not None:
                    gap = max(following.box.left - piece.box.right, 0)
                    space.set("HPOS", str(piece.box.right))
                    space.set("VPOS", str(piece.box.top))
                    space.set("WIDTH", str(gap))
        last = line.pieces[-1]
        if last.hyphen is not None:
            hyp = _sub(line_element, "HYP", CONTENT=last.hyphen)
            _geometry(hyp, last.hyphen_box)


def _page(layout_element: ET.Element, page: Page) -> None:
    element = _sub(layout_element, "Page", ID=f"P{page.number}", PHYSICAL_IMG_NR=str(page.number))
    if page.info.page_in_section is not None:
        element.set("PRINTED_IMG_NR", str(page.info.page_in_section))
    if page.has_geometry:
        element.set("WIDTH", str(page.info.width))
        element.set("HEIGHT", str(page.info.height))
    scores = [
        p.confidence
        for b in page.blocks
        if b.in_transcript
        for p in b.pieces()
        if p.confidence is not None
    ]
    if scores:
        element.set("PC", _number(sum(scores) / len(scores)))
    space = _sub(element, "PrintSpace")
    if page.has_geometry:
        _geometry(space, Box(0, 0, page.info.width, page.info.height))
    for number, block in enumerate(page.blocks, start=1):
        _block(space, page, number, block)


def render_alto(transcript: Transcript) -> bytes:
    """The cable as one ALTO 4.4 document (``alto.xml``)."""
    ET.register_namespace("", NAMESPACE)
    ET.register_namespace("xlink", XLINK)
    ET.register_namespace("xsi", XSI)
    pages = layout(transcript)
    root = ET.Element(
        f"{{{NAMESPACE}}}alto",
        {
            "SCHEMAVERSION": "4.4",
            f"{{{XSI}}}schemaLocation": SCHEMA_LOCATION,
        },
    )
    _description(root, transcript, pages)
    _tags(root, pages)
    layout_element = _sub(root, "Layout")
    for page in pages or [Page(1, PageInfo(PageRef("", 1)))]:
        _page(layout_element, page)
    ET.indent(root, space=" ")
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")
