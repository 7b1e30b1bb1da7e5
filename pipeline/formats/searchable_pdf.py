"""A searchable PDF, ``transcript.pdf``: the scanned pages with the corrected text behind them.

Page images, most faithful first:

- a page of a PDF input is copied unchanged from the source PDF (no re-compression; needs
  pikepdf) and the text layer is laid over it; pages that are rotated or already carry text
  are rasterized instead, so the PDF holds one text layer only;
- a JPEG input is embedded as the original file;
- other pages are reloaded through ``pipeline.ingest`` and embedded as lossless Flate when
  they are pure black and white, else as JPEG (quality ``JPEG_QUALITY``).

Pages have their physical size (pixels / dpi). An invisible text layer (render mode 3) holds
the transcript's words (header, body, signature) at their boxes: the font size follows the
line height and the horizontal scaling fits each word to its box, so selecting or searching
highlights the right place. Transcript words without a box (a gap marker added by the
structure stage) get an invisible line of their own below the text before them. Boilerplate
removed from the transcript (page headers, stamps, review boxes, ...) is not in the layer and
is therefore not searchable. A word broken across lines is written whole on its first part,
so a search for the whole word finds it; split corrections (``USE THIS``) are separate words.

For text input (no page images) the PDF shows the transcript as visible typewriter text on
US Letter pages, which is more useful than blank pages.
"""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING, Any

from pipeline.errors import InputError, MissingDependencyError
from pipeline.formats._layout import Block, Line, Page, layout, union
from pipeline.records import Box, Transcript
from pipeline.resources import package_version

if TYPE_CHECKING:
    import numpy as np

JPEG_QUALITY = 50
"""JPEG quality for grayscale and colour page images (text stays legible at 300 dpi)."""
DEFAULT_DPI = 300
"""Assumed resolution when neither the page record nor the image file gives one."""
LAYER_FONT = "Helvetica"
TEXT_FONT = "Courier"
TEXT_SIZE = 10.0
LETTER = (612.0, 792.0)
MARGIN = 72.0


def _reportlab() -> Any:
    try:
        from reportlab.pdfgen import canvas
    except ImportError as exc:
        raise MissingDependencyError(
            "the pdf format needs reportlab; install the formats extra: "
            "pip install 'cable-ocr[formats]'"
        ) from exc
    return canvas


@contextmanager
def _binary_streams() -> Iterator[None]:
    """Write image and page streams without ASCII85 (a quarter smaller), then restore."""
    from reportlab import rl_config

    previous = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = previous


def _encode(pixels: np.ndarray) -> BytesIO:
    """Compress a page image: lossless for pure black and white, JPEG otherwise."""
    import numpy as np
    from PIL import Image

    if pixels.ndim == 3:
        image = Image.fromarray(np.ascontiguousarray(pixels[:, :, ::-1]), "RGB")
    else:
        image = Image.fromarray(pixels, "L")
    buffer = BytesIO()
    levels = int(np.count_nonzero(np.bincount(pixels.ravel(), minlength=256)))
    if pixels.ndim == 2 and levels <= 2:
        image.save(buffer, "PNG", optimize=False)
    else:
        image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    buffer.seek(0)
    return buffer


def _has_image(page: Page) -> bool:
    """True when the page has word boxes or a size, so its image must be drawn.

    Raises:
        InputError: the page's source file is gone or unreadable.
    """
    if not _needs_image(page):
        return False
    from pipeline.ingest import spec_for

    ref = page.info.ref
    try:
        return spec_for(ref).kind != "text"
    except InputError as exc:
        raise InputError(f"{ref.label()}: the searchable PDF needs the page image ({exc})") from exc


@dataclass(slots=True)
class _Background:
    """What lies under a page's text layer, and the pixel frame its word boxes refer to."""

    frame: tuple[int, int]
    """Width and height, in pixels, of the image the boxes refer to."""
    size: tuple[float, float]
    """Page width and height in points."""
    image: Any | None = None
    """A reportlab ``ImageReader`` to draw, or ``None`` when ``original`` is laid under."""
    original: Any | None = None
    """A page of the source PDF (pikepdf) to copy under the text layer."""


class _Sources:
    """Finds each page's background, keeping source PDFs open until the output is written."""

    def __init__(self) -> None:
        self.pdfs: dict[str, Any] = {}

    def close(self) -> None:
        for pdf in self.pdfs.values():
            pdf.close()

    def background(self, page: Page) -> _Background:
        from pipeline.ingest import spec_for

        spec = spec_for(page.info.ref)
        if spec.kind == "pdf":
            original = self._pdf_page(page)
            if original is not None:
                return original
        elif spec.kind == "image":
            passthrough = _jpeg_file(page)
            if passthrough is not None:
                return passthrough
        return _reloaded(page)

    def _pdf_page(self, page: Page) -> _Background | None:
        """The source PDF page, when it can be copied as it is."""
        try:
            import pikepdf
        except ImportError:
            return None
        ref = page.info.ref
        if _has_text_layer(ref.source, ref.page_number):
            return None
        try:
            pdf = self.pdfs.get(ref.source)
            if pdf is None:
                pdf = self.pdfs[ref.source] = pikepdf.open(ref.source)
            original = pdf.pages[ref.page_number - 1]
            if int(original.obj.get("/Rotate", 0)) % 360 or _inherited_rotation(original):
                return None
            left, bottom, right, top = (float(v) for v in original.cropbox)
        except (pikepdf.PdfError, IndexError, ValueError, OSError):
            return None
        size = (right - left, top - bottom)
        dpi = page.info.dpi or DEFAULT_DPI
        if page.has_geometry:
            frame = (page.info.width, page.info.height)
        else:
            frame = (round(size[0] * dpi / 72), round(size[1] * dpi / 72))
        return _Background(frame, size, original=original)


def _inherited_rotation(page: Any) -> bool:
    """True when a parent ``/Pages`` node rotates the page."""
    node = page.obj.get("/Parent")
    for _ in range(64):
        if node is None:
            return False
        if int(node.get("/Rotate", 0)) % 360:
            return True
        node = node.get("/Parent")
    return False


def _has_text_layer(path: str, page_number: int) -> bool:
    """True when a PDF page already has extractable text (or when that cannot be checked)."""
    try:
        result = subprocess.run(
            ["pdftotext", "-f", str(page_number), "-l", str(page_number), path, "-"],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return True
    return result.returncode != 0 or bool(result.stdout.strip())


def _jpeg_file(page: Page) -> _Background | None:
    """A JPEG input as its original bytes, when no EXIF rotation applies."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader

    path = page.info.ref.source
    try:
        with Image.open(path) as image:
            if image.format != "JPEG" or image.mode not in ("L", "RGB"):
                return None
            if image.getexif().get(0x0112, 1) != 1:
                return None
            width, height = image.size
            dpi_info = image.info.get("dpi")
    except OSError:
        return None
    file_dpi = round(float(dpi_info[0])) if dpi_info and dpi_info[0] and dpi_info[0] > 1 else 0
    return _framed(page, (width, height), file_dpi, ImageReader(path))


def _reloaded(page: Page) -> _Background:
    """The page image reloaded through ``pipeline.ingest`` and compressed."""
    from reportlab.lib.utils import ImageReader

    from pipeline.config import IngestConfig
    from pipeline.ingest import load_page_image, spec_for

    spec = spec_for(page.info.ref)
    pixels, dpi = load_page_image(spec, IngestConfig(dpi=page.info.dpi or DEFAULT_DPI))
    height, width = pixels.shape[:2]
    return _framed(page, (width, height), dpi, ImageReader(_encode(pixels)))


def _framed(page: Page, image_size: tuple[int, int], image_dpi: int, image: Any) -> _Background:
    frame = (page.info.width, page.info.height) if page.has_geometry else image_size
    scale = 72.0 / (page.info.dpi or image_dpi or DEFAULT_DPI)
    return _Background(frame, (frame[0] * scale, frame[1] * scale), image=image)


def _needs_image(page: Page) -> bool:
    return page.has_geometry or any(piece.box is not None for piece in page.pieces())


class _Writer:
    """Draws pages onto a reportlab canvas."""

    def __init__(self, canvas: Any) -> None:
        self.canvas = canvas
        from reportlab.pdfbase.pdfmetrics import stringWidth

        self.string_width = stringWidth
        self.pages = 0

    def image_page(self, page: Page, background: _Background) -> None:
        """A scanned page: its background and the invisible words."""
        frame_w, frame_h = background.frame
        width_pt, height_pt = background.size
        scale = width_pt / max(frame_w, 1)
        self.canvas.setPageSize((width_pt, height_pt))
        if background.image is not None:
            self.canvas.drawImage(background.image, 0, 0, width_pt, height_pt)
        placed = [_placed(line) for b in page.blocks if b.in_transcript for line in b.lines]
        boxes = [box for entries in placed for _, box in entries]
        left = min((box.left for box in boxes), default=frame_w // 10)
        height = sorted(box.height for box in boxes)[len(boxes) // 2] if boxes else frame_h // 100
        bottom = 0
        for entries in placed:
            if entries and entries[0][1] is not _UNPLACED:
                bottom = max(bottom, max(box.bottom for _, box in entries))
            elif entries:
                top = min(bottom + height // 2, max(frame_h - 2 * height, 0))
                entries = _below(entries, left, top, max(height, 1))
                bottom = entries[0][1].bottom
            self._line(entries, scale, height_pt)
        self.canvas.showPage()
        self.pages += 1

    def _line(self, entries: list[tuple[str, Box]], scale: float, page_height: float) -> None:
        """Draw one line of words invisibly, each fitted to its box."""
        if not entries:
            return
        line_box = union(box for _, box in entries)
        assert line_box is not None
        size = max(line_box.height * scale, 1.0)
        baseline = page_height - line_box.bottom * scale + 0.15 * size
        text = self.canvas.beginText()
        text.setTextRenderMode(3)
        text.setFont(LAYER_FONT, size)
        gap = max(line_box.height // 4, 1)
        for number, (word, area) in enumerate(entries):
            natural = self.string_width(word, LAYER_FONT, size)
            right = area.right
            if number + 1 < len(entries) and entries[number + 1][1].left > area.left:
                # Overlapping OCR boxes: end this word before the next one starts.
                right = min(right, entries[number + 1][1].left - gap)
            target = max((right - area.left) * scale, 0.5)
            text.setHorizScale(100.0 * target / natural if natural > 0 else 100.0)
            text.setTextOrigin(area.left * scale, baseline)
            # An explicit space keeps extractors from gluing words whose boxes touch.
            text.textOut(word if number == len(entries) - 1 else word + " ")
        self.canvas.drawText(text)

    def text_pages(self, lines: list[str]) -> None:
        width = int((LETTER[0] - 2 * MARGIN) / self.string_width("M", TEXT_FONT, TEXT_SIZE))
        wrapped: list[str] = []
        for line in lines:
            wrapped.extend(textwrap.wrap(line, width, break_on_hyphens=False) or [""])
        leading = TEXT_SIZE * 1.2
        per_page = max(int((LETTER[1] - 2 * MARGIN) / leading), 1)
        for start in range(0, max(len(wrapped), 1), per_page):
            self.canvas.setPageSize(LETTER)
            text = self.canvas.beginText(MARGIN, LETTER[1] - MARGIN - TEXT_SIZE)
            text.setFont(TEXT_FONT, TEXT_SIZE, leading)
            for line in wrapped[start : start + per_page]:
                text.textLine(line)
            self.canvas.drawText(text)
            self.canvas.showPage()


_UNPLACED = Box(0, 0, 0, 0)
"""Marks words of a line that has no boxes (e.g. a gap marker added by the structure stage)."""


def _placed(line: Line) -> list[tuple[str, Box]]:
    """The words of a line to draw with their boxes; hyphenated words whole on their first part.

    A line without any box gives its words with ``_UNPLACED`` boxes, placed later by ``_below``.
    """
    entries: list[tuple[str, Box]] = []
    unplaced: list[tuple[str, Box]] = []
    for piece in line.pieces:
        if piece.hyphen_role == "HypPart2":
            continue
        word = piece.subs_content if piece.hyphen_role == "HypPart1" else piece.text
        if not word:
            continue
        if piece.box is None:
            unplaced.append((word, _UNPLACED))
        else:
            area = piece.box if piece.hyphen_box is None else _join(piece.box, piece.hyphen_box)
            entries.append((word, area))
    return entries or unplaced


def _below(
    entries: list[tuple[str, Box]], left: int, top: int, height: int
) -> list[tuple[str, Box]]:
    """Give words without boxes a line of their own at ``top``, about 0.6 em per character."""
    placed = []
    x = left
    for word, _ in entries:
        width = max(round(len(word) * height * 0.6), 1)
        placed.append((word, Box(x, top, width, height)))
        x += width + round(height * 0.6)
    return placed


def _join(first: Box | None, second: Box) -> Box:
    if first is None:
        return second
    right = max(first.right, second.right)
    return Box(first.left, first.top, right - first.left, first.height)


def _block_text(block: Block) -> str:
    parts: list[str] = []
    seen: set[int] = set()
    for piece in block.pieces():
        word = piece.word
        if word.index in seen:
            continue
        seen.add(word.index)
        if parts:
            parts.append(word.glue)
        parts.append(word.final_text)
    return "".join(parts).strip()


def render_pdf(transcript: Transcript) -> bytes:
    """The cable as a searchable PDF (``transcript.pdf``).

    Raises:
        MissingDependencyError: reportlab is not installed.
        InputError: a page image cannot be reloaded.
    """
    canvas_module = _reportlab()
    pages = layout(transcript)
    cable = transcript.header.get("cable_id")
    title = str(cable.value) if cable else "cable transcript"
    creator = f"cable-ocr {package_version()}"
    buffer = BytesIO()
    sources = _Sources()
    originals: dict[int, Any] = {}
    try:
        with _binary_streams():
            canvas = canvas_module.Canvas(buffer, pagesize=LETTER, invariant=1, pageCompression=1)
            canvas.setTitle(title)
            canvas.setCreator(creator)
            writer = _Writer(canvas)
            with_image = [_has_image(page) for page in pages]
            if not any(with_image):
                writer.text_pages(transcript.text().splitlines() or [""])
                pages = []
            for page, has_image in zip(pages, with_image, strict=False):
                if has_image:
                    background = sources.background(page)
                    if background.original is not None:
                        originals[writer.pages] = background.original
                    writer.image_page(page, background)
                else:
                    lines = [_block_text(b) for b in page.blocks if b.in_transcript]
                    writer.text_pages("\n\n".join(lines).splitlines() or [""])
            canvas.save()
        if not originals:
            return buffer.getvalue()
        return _lay_over_originals(buffer.getvalue(), originals, title, creator)
    finally:
        sources.close()


def _lay_over_originals(layer: bytes, originals: dict[int, Any], title: str, creator: str) -> bytes:
    """Copy source PDF pages under the matching text-layer pages."""
    import pikepdf

    out = pikepdf.Pdf.new()
    with pikepdf.open(BytesIO(layer)) as text:
        for number, text_page in enumerate(text.pages):
            original = originals.get(number)
            if original is None:
                out.pages.append(text_page)
                continue
            out.pages.append(original)
            box = [float(v) for v in out.pages[-1].cropbox]
            out.pages[-1].add_overlay(text_page, pikepdf.Rectangle(*box))
        out.docinfo["/Title"] = title
        out.docinfo["/Creator"] = creator
        result = BytesIO()
        out.save(
            result,
            deterministic_id=True,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
        )
    return result.getvalue()
