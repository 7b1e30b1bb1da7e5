"""hOCR 1.2 for a whole cable: one XHTML file, ``transcript.hocr``, one ``ocr_page`` per page.

One file keeps the cable together (hOCR allows several ``ocr_page`` elements; ``ppageno`` is
the 0-based page position). Inside a page: ``ocr_carea`` (header block, body paragraph,
signature, or a run of boilerplate) > ``ocr_par`` > ``ocr_line`` > ``ocrx_word``. Each word
carries its final text, ``bbox`` and ``x_wconf`` (0-100) in ``title``; the reading before
correction, the action, the deciding mechanism and the other candidates are in ``data-``
attributes. Boilerplate areas are kept with ``data-zone`` and ``data-transcript="false"``.
Pieces of a split correction are separate words; the parts of a word broken across lines
carry ``data-hyphen`` (``HypPart1``/``HypPart2``) and ``data-subs-content`` (the whole word),
the first part showing the printed hyphen. Text input has no ``bbox`` properties.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from pipeline.formats._layout import (
    Block,
    Page,
    Piece,
    changed,
    layout,
    xml_text,
)
from pipeline.records import Box, Transcript
from pipeline.resources import package_version

XHTML = "http://www.w3.org/1999/xhtml"
_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"'
    ' "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
)
CAPABILITIES = "ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf"


def _quoted(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _title(box: Box | None, *extra: str) -> str:
    parts = []
    if box is not None:
        parts.append(f"bbox {box.left} {box.top} {box.right} {box.bottom}")
    parts.extend(extra)
    return "; ".join(parts)


def _el(parent: ET.Element, tag: str, cls: str, ident: str, title: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{XHTML}}}{tag}", {"class": cls, "id": ident})
    if title:
        element.set("title", title)
    return element


def _word(line: ET.Element, piece: Piece) -> ET.Element:
    word = piece.word
    extras = []
    if piece.confidence is not None:
        extras.append(f"x_wconf {round(piece.confidence * 100)}")
    span = _el(line, "span", "ocrx_word", f"word_{piece.id[1:]}", _title(piece.box, *extras))
    span.text = piece.text + (piece.hyphen or "")
    span.set("data-action", word.action.value)
    if word.source.value:
        span.set("data-source", word.source.value)
    if changed(word):
        span.set("data-ocr-text", xml_text(word.ocr_text))
    if word.posterior is not None:
        span.set("data-posterior", f"{word.posterior:.3f}")
    if piece.first and word.alternatives:
        span.set("data-alternatives", xml_text("|".join(word.alternatives)))
    if piece.hyphen_role and piece.subs_content is not None:
        span.set("data-hyphen", piece.hyphen_role)
        span.set("data-subs-content", xml_text(piece.subs_content))
    return span


def _area(page_element: ET.Element, page: Page, number: int, block: Block) -> None:
    ident = f"{page.number}_{number}"
    area = _el(page_element, "div", "ocr_carea", f"block_{ident}", _title(block.box))
    area.set("data-zone", block.kind)
    area.set("data-transcript", "true" if block.in_transcript else "false")
    if block.paragraph is not None:
        area.set("data-paragraph", str(block.paragraph))
    par = _el(area, "p", "ocr_par", f"par_{ident}", _title(block.box))
    for line_number, line in enumerate(block.lines, start=1):
        line_element = _el(par, "span", "ocr_line", f"line_{ident}_{line_number}", _title(line.box))
        previous: ET.Element | None = None
        for piece in line.pieces:
            if previous is not None and not piece.joins_previous:
                previous.tail = " "
            previous = _word(line_element, piece)
        line_element.tail = "\n"


def _page(body: ET.Element, page: Page) -> None:
    extras = []
    if page.info.ref.source:
        extras.append(f"image {_quoted(xml_text(page.info.ref.source))}")
    box = Box(0, 0, page.info.width, page.info.height) if page.has_geometry else None
    extras.append(f"ppageno {page.number - 1}")
    if page.info.dpi:
        extras.append(f"scan_res {page.info.dpi} {page.info.dpi}")
    title = _title(box, *extras)
    element = _el(body, "div", "ocr_page", f"page_{page.number}", title)
    for number, block in enumerate(page.blocks, start=1):
        _area(element, page, number, block)


def render_hocr(transcript: Transcript) -> bytes:
    """The cable as one hOCR document (``transcript.hocr``)."""
    ET.register_namespace("", XHTML)
    pages = layout(transcript)
    root = ET.Element(f"{{{XHTML}}}html", {"lang": "en"})
    head = ET.SubElement(root, f"{{{XHTML}}}head")
    cable = transcript.header.get("cable_id")
    ET.SubElement(head, f"{{{XHTML}}}title").text = xml_text(str(cable.value)) if cable else "cable"
    for name, content in (
        ("ocr-system", f"cable-ocr {package_version()}"),
        ("ocr-capabilities", CAPABILITIES),
        ("ocr-number-of-pages", str(len(pages))),
    ):
        ET.SubElement(head, f"{{{XHTML}}}meta", {"name": name, "content": content})
    ET.SubElement(
        head,
        f"{{{XHTML}}}meta",
        {"http-equiv": "Content-Type", "content": "text/html;charset=utf-8"},
    )
    body = ET.SubElement(root, f"{{{XHTML}}}body")
    for page in pages:
        _page(body, page)
    text = ET.tostring(root, encoding="unicode")
    return (_HEAD + text + "\n").encode("utf-8")
