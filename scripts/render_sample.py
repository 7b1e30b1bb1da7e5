"""Render the MOSCOW 04648 sample layout into synthetic scans of a teletype cable.

Reads ``layout.json`` (written by ``scripts/build_sample_layout.py``) and draws each
printed page as a US-letter grayscale scan:

* teletype text (classification lines, page headers, routing header, body) in a
  Courier-style monospace font at 10 characters per inch and 6 lines per inch,
  always upper case, the classification centred at the top and bottom of the page;
* archive stamps in a proportional font, slightly rotated, in a lighter stamp ink;
* declassification review boxes as a ruled rectangle in the lower part of the page,
  with the reviewer's name and date, the ``[unclear]`` entries and the stray marks
  drawn as handwriting;
* degradation (``--degradation``): per-line and per-character ink strength, a smooth
  uneven-ribbon field, thin and spread strokes, speckle, a page skew of 1 to 2 degrees
  (never 0), gaussian blur, noise and a slight paper tint. Everything random comes from
  one ``numpy`` Generator seeded by ``--seed`` and the page number, so the output is
  reproducible byte for byte.

Writes ``page-NN.png`` (8-bit grayscale quantised to 16 levels, 300 dpi tag),
``moscow-04648.pdf`` (the same pages at the same dpi: bilevel CCITT G4 images, as
archives distribute scans, or with ``--pdf-images jpeg`` grayscale JPEG) and
``truth.json`` (per page: the text lines drawn, their kind and their bounding box in
the final, skewed image).

Example::

    python scripts/render_sample.py --degradation moderate --seed 4648
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import textwrap
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
SAMPLE_DIR: Final = REPO_ROOT / "samples" / "moscow-04648"
DEFAULT_LAYOUT: Final = SAMPLE_DIR / "layout.json"
DEFAULT_OUT: Final = SAMPLE_DIR / "scans"
PDF_NAME: Final = "moscow-04648.pdf"

FONT_DIRS: Final = (
    Path("/usr/share/fonts/opentype/urw-base35"),
    Path("/usr/share/fonts/truetype/freefont"),
    Path("/usr/share/fonts/truetype/dejavu"),
)
TYPE_FONTS: Final = ("NimbusMonoPS-Regular.otf", "FreeMono.ttf")
STAMP_FONTS: Final = ("NimbusSans-Regular.otf", "FreeSans.ttf", "DejaVuSans.ttf")
HAND_FONTS: Final = ("Z003-MediumItalic.otf", "NimbusSans-Italic.otf", "DejaVuSans-Oblique.ttf")

TELETYPE_KINDS: Final = frozenset({"classification", "page_header", "header", "body"})
"""Kinds printed by the teletype: monospace, upper case, in the text flow."""

PAGE_INCHES: Final = (8.5, 11.0)
CHARS_PER_INCH: Final = 10
LINES_PER_INCH: Final = 6
TYPE_POINTS: Final = 12.0
LEFT_MARGIN_INCHES: Final = 1.25
TOP_INCHES: Final = 0.45
"""Baseline of the top classification line, from the top edge."""
BOTTOM_INCHES: Final = 0.5
"""Baseline of the bottom classification line, from the bottom edge."""

REVIEW_BOX_CHARS: Final = 46
"""Review-box lines are wrapped to this many characters (a stamp about 3 in wide)."""
UNCLEAR: Final = "[unclear]"
"""Review-box text that the archive could not read: drawn as a scribble."""
HANDWRITTEN_VALUE: Final = re.compile(r"^(Reviewed by:?|Received by:?|Date:)\s+(.+)$")
"""Review-box lines whose value (reviewer, date) is written by hand."""
LONE_DATE: Final = re.compile(r"^\d{1,2}/\d{1,2}/\d{2}$")

BACKGROUND_CLIP: Final = 14.0
"""Grey levels just below the paper that the scanner flattens into paper."""
PAPER_LEVELS: Final = 16
"""Grey levels of the saved images (keeps the PNGs small)."""
PDF_IMAGE_MODES: Final = ("bilevel", "jpeg")
"""How page images are stored in the PDF: CCITT G4 bilevel (as archives distribute
scans; about 45 KB a page) or grayscale JPEG (about 380 KB a page)."""
PDF_THRESHOLD: Final = 150
"""Grey level below which a pixel is black in a bilevel PDF page."""
JPEG_QUALITY: Final = 70
"""Quality of the page images inside a ``jpeg`` PDF."""
FIXED_PDF_DATE: Final = time.struct_time((1994, 9, 8, 0, 0, 0, 3, 251, 0))
"""Creation date written into the PDF (fixed, so that the file is reproducible)."""

TYPE_INK: Final = 22.0
STAMP_INK: Final = 105.0
PEN_INK: Final = 70.0

Array = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Degradation:
    """How much a page is aged and mis-scanned; pixel sizes are at 300 dpi."""

    skew_degrees: tuple[float, float]
    """Range of the absolute page skew; the sign is random; (0, 0) for no skew."""
    blur_sigma: float
    """Gaussian blur of the whole page, in pixels."""
    noise_sigma: float
    """Gaussian noise, in grey levels (the flat paper is cleaned back afterwards)."""
    line_ink: tuple[float, float]
    """Range of the ink strength of one typed line (1.0 = full black)."""
    char_ink: tuple[float, float]
    """Range of the ink strength of one character, relative to its line."""
    ribbon_floor: float
    """Lowest value of the smooth uneven-ribbon field that multiplies all typed ink."""
    thin_probability: float
    """Share of typed lines printed with thin strokes (no ink spread)."""
    jitter_px: float
    """Standard deviation of each character's offset from its cell."""
    speckles: int
    """Number of small dark specks per page (1 px radius at 300 dpi)."""
    large_speckle_share: float
    """Share of the specks drawn with a 2 px radius (these survive a 3x3 median)."""
    blotches: int
    """Number of larger grey blotches per page."""
    paper: tuple[int, int]
    """Range of the paper grey level (255 = white)."""


LEVELS: Final[dict[str, Degradation]] = {
    "none": Degradation(
        skew_degrees=(0.0, 0.0),
        blur_sigma=0.0,
        noise_sigma=0.0,
        line_ink=(1.0, 1.0),
        char_ink=(1.0, 1.0),
        ribbon_floor=1.0,
        thin_probability=0.0,
        jitter_px=0.0,
        speckles=0,
        large_speckle_share=0.0,
        blotches=0,
        paper=(255, 255),
    ),
    "moderate": Degradation(
        skew_degrees=(1.0, 2.0),
        blur_sigma=0.8,
        noise_sigma=7.0,
        line_ink=(0.72, 1.0),
        char_ink=(0.82, 1.0),
        ribbon_floor=0.72,
        thin_probability=0.15,
        jitter_px=0.7,
        speckles=200,
        large_speckle_share=0.06,
        blotches=3,
        paper=(234, 244),
    ),
    "heavy": Degradation(
        skew_degrees=(1.0, 2.0),
        blur_sigma=1.15,
        noise_sigma=12.0,
        line_ink=(0.55, 0.95),
        char_ink=(0.7, 1.0),
        ribbon_floor=0.55,
        thin_probability=0.3,
        jitter_px=1.1,
        speckles=900,
        large_speckle_share=0.35,
        blotches=10,
        paper=(222, 236),
    ),
}


@dataclass(frozen=True, slots=True)
class Fonts:
    """The faces used on a page, sized for the output resolution."""

    typewriter: ImageFont.FreeTypeFont
    stamp_small: ImageFont.FreeTypeFont
    stamp: ImageFont.FreeTypeFont
    stamp_large: ImageFont.FreeTypeFont
    hand: ImageFont.FreeTypeFont
    hand_large: ImageFont.FreeTypeFont


@dataclass(slots=True)
class Page:
    """One page being drawn: three ink layers plus what was drawn where."""

    width: int
    height: int
    dpi: int
    typed: Array = field(init=False)
    stamp: Array = field(init=False)
    pen: Array = field(init=False)
    lines: list[dict[str, object]] = field(default_factory=list)

    def __post_init__(self) -> None:
        shape = (self.height, self.width)
        self.typed = np.zeros(shape, np.float32)
        self.stamp = np.zeros(shape, np.float32)
        self.pen = np.zeros(shape, np.float32)

    def px(self, inches: float) -> int:
        """Return a length in inches as pixels."""
        return round(inches * self.dpi)

    def record(self, kind: str, text: str, box: tuple[int, int, int, int]) -> None:
        """Remember a drawn line for ``truth.json`` (box in unskewed coordinates)."""
        self.lines.append({"kind": kind, "text": text, "box": list(box)})


def find_font(names: Sequence[str]) -> Path:
    """Return the first installed font file among ``names``.

    Args:
        names: File names in order of preference.

    Returns:
        The path of the first one found.

    Raises:
        SystemExit: If none is installed.
    """
    for name in names:
        for folder in FONT_DIRS:
            if (folder / name).is_file():
                return folder / name
    raise SystemExit(
        f"none of the fonts {', '.join(names)} is installed (apt-get install "
        "fonts-urw-base35 fonts-freefont-ttf)"
    )


def load_fonts(dpi: int) -> Fonts:
    """Load the page fonts at their print sizes for ``dpi``."""

    def size(points: float) -> int:
        return round(points / 72 * dpi)

    type_path = find_font(TYPE_FONTS)
    stamp_path = find_font(STAMP_FONTS)
    hand_path = find_font(HAND_FONTS)
    return Fonts(
        typewriter=ImageFont.truetype(str(type_path), size(TYPE_POINTS)),
        stamp_small=ImageFont.truetype(str(stamp_path), size(7.0)),
        stamp=ImageFont.truetype(str(stamp_path), size(8.5)),
        stamp_large=ImageFont.truetype(str(stamp_path), size(14.0)),
        hand=ImageFont.truetype(str(hand_path), size(13.0)),
        hand_large=ImageFont.truetype(str(hand_path), size(20.0)),
    )


def smooth_field(rng: np.random.Generator, shape: tuple[int, int], cell: int, low: float) -> Array:
    """Return a smooth random field with values in ``[low, 1]``.

    Args:
        rng: Random source.
        shape: ``(height, width)`` of the field.
        cell: Size in pixels of one random control point.
        low: Smallest value of the field.

    Returns:
        The field as float32.
    """
    small = rng.random((shape[0] // cell + 2, shape[1] // cell + 2)).astype(np.float32)
    small = np.asarray(cv2.GaussianBlur(small, (0, 0), 0.8), dtype=np.float32)
    big = np.asarray(
        cv2.resize(small, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC), dtype=np.float32
    )
    big -= big.min()
    big /= max(float(big.max()), 1e-6)
    return np.asarray(low + (1.0 - low) * big, dtype=np.float32)


def type_line(
    page: Page,
    fonts: Fonts,
    text: str,
    x: int,
    baseline: int,
    rng: np.random.Generator,
    level: Degradation,
) -> tuple[int, int, int, int]:
    """Strike one teletype line onto the typed-ink layer.

    Args:
        page: Page being drawn.
        fonts: Page fonts.
        text: Text of the line (already upper case).
        x: Left edge of the first character cell.
        baseline: Baseline of the line.
        rng: Random source.
        level: Degradation settings.

    Returns:
        The line's box ``(left, top, right, bottom)`` before skewing.
    """
    advance = page.dpi / CHARS_PER_INCH
    pitch = page.dpi / LINES_PER_INCH
    pad = round(pitch)
    strip = Image.new("L", (page.width, 2 * pad), 0)
    draw = ImageDraw.Draw(strip)
    scale = page.dpi / 300
    line_ink = rng.uniform(*level.line_ink)
    for index, char in enumerate(text):
        if char == " ":
            continue
        dx, dy = (float(v) for v in rng.normal(0.0, level.jitter_px * scale + 1e-9, 2))
        strength = line_ink * rng.uniform(*level.char_ink)
        draw.text(
            (x + index * advance + dx, pad + dy),
            char,
            font=fonts.typewriter,
            fill=round(255 * strength),
            anchor="ls",
        )
    ink = np.asarray(strip, dtype=np.float32) / 255.0
    if level.thin_probability == 0.0 or rng.random() >= level.thin_probability:
        spread = max(2, round(2 * scale))
        ink = np.asarray(cv2.dilate(ink, np.ones((spread, spread), np.uint8)), dtype=np.float32)
    top = baseline - pad
    region = page.typed[top : top + 2 * pad]
    np.maximum(region, ink[: region.shape[0]], out=region)
    ascent, descent = fonts.typewriter.getmetrics()
    right = x + round(len(text.rstrip()) * advance)
    return x, baseline - ascent, right, baseline + descent


def text_layer(
    layer: Array,
    text: str,
    font: ImageFont.FreeTypeFont,
    xy: tuple[float, float],
    strength: float,
) -> tuple[int, int, int, int]:
    """Draw proportional text, anchored at its left end and baseline, onto an ink layer.

    Args:
        layer: Ink layer (coverage 0..1) to draw on.
        text: The text.
        font: Its font.
        xy: Left end of the baseline.
        strength: Ink coverage of the strokes (0..1).

    Returns:
        The text's box ``(left, top, right, bottom)``.
    """
    left, top, right, bottom = (round(v) for v in font.getbbox(text, anchor="ls"))
    x, y = round(xy[0]), round(xy[1])
    box = (x + left - 2, y + top - 2, x + right + 2, y + bottom + 2)
    x0, y0 = max(box[0], 0), max(box[1], 0)
    x1, y1 = min(box[2], layer.shape[1]), min(box[3], layer.shape[0])
    if x1 <= x0 or y1 <= y0:
        return box
    tile = Image.new("L", (x1 - x0, y1 - y0), 0)
    ImageDraw.Draw(tile).text(
        (x - x0, y - y0), text, font=font, fill=round(255 * strength), anchor="ls"
    )
    region = layer[y0:y1, x0:x1]
    np.maximum(region, np.asarray(tile, dtype=np.float32) / 255.0, out=region)
    return box


def pen_stroke(
    layer: Array, points: npt.NDArray[np.float64], thickness: int, strength: float
) -> tuple[int, int, int, int]:
    """Draw one anti-aliased polyline onto an ink layer.

    Args:
        layer: Ink layer (coverage 0..1) to draw on.
        points: ``(n, 2)`` array of x, y points.
        thickness: Stroke width in pixels.
        strength: Ink coverage of the stroke (0..1).

    Returns:
        The stroke's box ``(left, top, right, bottom)``.
    """
    margin = thickness + 2
    x0 = max(int(points[:, 0].min()) - margin, 0)
    y0 = max(int(points[:, 1].min()) - margin, 0)
    x1 = min(int(points[:, 0].max()) + margin, layer.shape[1])
    y1 = min(int(points[:, 1].max()) + margin, layer.shape[0])
    tile = np.zeros((y1 - y0, x1 - x0), np.uint8)
    shifted = (points - (x0, y0)).round().astype(np.int32)
    cv2.polylines(tile, [shifted], False, round(255 * strength), thickness, cv2.LINE_AA)
    region = layer[y0:y1, x0:x1]
    np.maximum(region, tile.astype(np.float32) / 255.0, out=region)
    return x0, y0, x1, y1


def scribble(
    layer: Array, x: float, baseline: int, width: int, dpi: int, rng: np.random.Generator
) -> None:
    """Draw an illegible handwritten squiggle ``width`` pixels long."""
    scale = dpi / 300
    steps = max(6, width // round(9 * scale))
    xs = np.linspace(x, x + width, steps)
    ys = baseline - 10 * scale + rng.normal(0.0, 7 * scale, steps)
    pen_stroke(layer, np.stack([xs, ys], axis=1), max(2, round(3 * scale)), 0.9)


def check_mark(layer: Array, x: int, baseline: int, dpi: int) -> tuple[int, int, int, int]:
    """Draw a handwritten tick whose left end is at ``x``; return its box."""
    scale = dpi / 300
    points = np.array([[0.0, -18.0], [12.0, 2.0], [44.0, -46.0]], dtype=np.float64) * scale + (
        x,
        baseline,
    )
    return pen_stroke(layer, points, max(2, round(4 * scale)), 0.92)


def rotate_layer(layer: Array, degrees: float, centre: tuple[float, float]) -> Array:
    """Rotate an ink layer about ``centre`` (positive = counter-clockwise)."""
    matrix = cv2.getRotationMatrix2D(centre, degrees, 1.0)
    rotated = cv2.warpAffine(
        layer, matrix, (layer.shape[1], layer.shape[0]), flags=cv2.INTER_LINEAR, borderValue=0.0
    )
    return np.asarray(rotated, dtype=np.float32)


def review_box_lines(texts: Sequence[str]) -> list[str]:
    """Wrap the review-box lines to the stamp width."""
    wrapped: list[str] = []
    for text in texts:
        wrapped.extend(textwrap.wrap(text, REVIEW_BOX_CHARS, break_long_words=False) or [text])
    return wrapped


def draw_review_box(
    page: Page, fonts: Fonts, texts: Sequence[str], top: int, rng: np.random.Generator
) -> None:
    """Draw a declassification review stamp, slightly rotated, with its top edge at ``top``.

    Args:
        page: Page being drawn.
        fonts: Page fonts.
        texts: The box's lines from the layout.
        top: Top edge of the box.
        rng: Random source.
    """
    lines = review_box_lines(texts)
    pitch = round(fonts.stamp.size * 1.45)
    pad = page.px(0.08)
    widths = [fonts.stamp.getlength(line) for line in lines]
    box_w = round(max(widths) + 2 * pad + page.px(0.25))
    box_h = len(lines) * pitch + 2 * pad
    left_limit = page.px(LEFT_MARGIN_INCHES)
    right_limit = page.width - page.px(0.8) - box_w
    left = int(rng.integers(left_limit, max(left_limit + 1, right_limit)))
    angle = float(rng.uniform(-1.2, 1.2))
    stamp = np.zeros_like(page.stamp)
    pen = np.zeros_like(page.pen)
    edge = np.array(
        [
            [left, top],
            [left + box_w, top],
            [left + box_w, top + box_h],
            [left, top + box_h],
            [left, top],
        ],
        dtype=np.float64,
    )
    pen_stroke(stamp, edge, max(2, page.px(0.01)), 0.85)
    boxes: list[tuple[str, tuple[int, int, int, int]]] = []
    for index, line in enumerate(lines):
        x = left + pad
        baseline = top + pad + (index + 1) * pitch - round(pitch * 0.25)
        boxes.append((line, (x, baseline - pitch + 4, x + round(widths[index]), baseline + 6)))
        draw_stamp_text(stamp, pen, fonts, line, x, baseline, page.dpi, rng)
    centre = (left + box_w / 2, top + box_h / 2)
    np.maximum(page.stamp, rotate_layer(stamp, angle, centre), out=page.stamp)
    np.maximum(page.pen, rotate_layer(pen, angle, centre), out=page.pen)
    for line, box in boxes:
        page.record("review_box", line, rotate_box(box, angle, centre))


def draw_stamp_text(
    stamp: Array,
    pen: Array,
    fonts: Fonts,
    line: str,
    x: int,
    baseline: int,
    dpi: int,
    rng: np.random.Generator,
) -> None:
    """Draw one review-box line: stamped label, handwritten values, scribbles.

    Args:
        stamp: Stamp-ink layer.
        pen: Pen-ink layer.
        fonts: Page fonts.
        line: The (wrapped) line.
        x: Left end of its baseline.
        baseline: Its baseline.
        dpi: Output resolution.
        rng: Random source.
    """
    strength = float(rng.uniform(0.75, 0.95))
    if LONE_DATE.match(line):
        text_layer(pen, line, fonts.hand, (x, baseline), 0.9)
        return
    match = HANDWRITTEN_VALUE.match(line)
    printed, written = (match.group(1) + " ", match.group(2)) if match else (line, "")
    cursor = float(x)
    for part_index, part in enumerate(printed.split(UNCLEAR)):
        if part_index:
            width = round(0.4 * dpi)
            scribble(pen, cursor, baseline, width, dpi, rng)
            cursor += width + fonts.stamp.getlength(" ")
        if part:
            text_layer(stamp, part, fonts.stamp, (cursor, baseline), strength)
            cursor += fonts.stamp.getlength(part)
    if written:
        text_layer(pen, written, fonts.hand, (cursor + 0.05 * dpi, baseline), 0.9)


def rotate_box(
    box: tuple[int, int, int, int], degrees: float, centre: tuple[float, float]
) -> tuple[int, int, int, int]:
    """Return the axis-aligned box around ``box`` rotated about ``centre``."""
    matrix = cv2.getRotationMatrix2D(centre, degrees, 1.0)
    corners = np.array(
        [[box[0], box[1], 1], [box[2], box[1], 1], [box[0], box[3], 1], [box[2], box[3], 1]],
        dtype=np.float64,
    )
    moved = corners @ matrix.T
    return (
        int(moved[:, 0].min()),
        int(moved[:, 1].min()),
        int(math.ceil(moved[:, 0].max())),
        int(math.ceil(moved[:, 1].max())),
    )


def draw_page(
    page_lines: Sequence[dict[str, str]],
    fonts: Fonts,
    dpi: int,
    rng: np.random.Generator,
    level: Degradation,
) -> Page:
    """Draw the ink layers of one page (no paper, skew or scanner effects yet).

    Args:
        page_lines: The page's layout lines in print order.
        fonts: Page fonts.
        dpi: Output resolution.
        rng: Random source for this page.
        level: Degradation settings.

    Returns:
        The drawn page.
    """
    page = Page(round(PAGE_INCHES[0] * dpi), round(PAGE_INCHES[1] * dpi), dpi)
    pitch = dpi / LINES_PER_INCH
    advance = dpi / CHARS_PER_INCH
    jitter = page.px(0.06) if level.jitter_px else 0
    left = page.px(LEFT_MARGIN_INCHES) + (int(rng.integers(-jitter, jitter + 1)) if jitter else 0)
    first_flow = next(
        i
        for i, ln in enumerate(page_lines)
        if ln["kind"] in TELETYPE_KINDS and ln["kind"] != "classification"
    )
    last_flow = max(
        i
        for i, ln in enumerate(page_lines)
        if ln["kind"] in TELETYPE_KINDS and ln["kind"] != "classification"
    )
    baseline = float(page.px(TOP_INCHES))
    previous_box: tuple[int, int, int, int] | None = None
    tail: list[dict[str, str]] = []
    for index, entry in enumerate(page_lines):
        kind, text = entry["kind"], entry["text"]
        if index > last_flow:
            tail.append(entry)
            continue
        if kind in TELETYPE_KINDS:
            text = text.upper()
            # Before the page header only the classification line: centred.
            x = round((page.width - len(text) * advance) / 2) if index < first_flow else left
            if text:
                box = type_line(page, fonts, text, x, round(baseline), rng, level)
                page.record(kind, text, box)
                previous_box = box
            baseline += pitch
        elif kind == "archive_stamp":
            font = fonts.stamp_large if text == "Department of State" else fonts.stamp
            if text.startswith("AN:"):
                x = page.width - page.px(0.9) - round(font.getlength(text))
            else:
                x = page.px(0.9)
            page.record(kind, text, text_layer(page.stamp, text, font, (x, baseline), 0.85))
            baseline += pitch
        elif kind == "stray" and previous_box is not None:
            x = previous_box[2] + round(2 * advance)
            page.record(kind, text, check_mark(page.pen, x, round(baseline - pitch), dpi))
        else:
            raise ValueError(f"cannot place a {kind} line inside the text: {text!r}")
        if index == first_flow - 1:
            baseline += pitch
    draw_tail(page, fonts, tail, round(baseline), rng, level)
    return page


def draw_tail(
    page: Page,
    fonts: Fonts,
    tail: Sequence[dict[str, str]],
    flow_end: int,
    rng: np.random.Generator,
    level: Degradation,
) -> None:
    """Draw what follows the text: strays, review box, archive stamp, bottom classification.

    Args:
        page: Page being drawn.
        fonts: Page fonts.
        tail: Layout lines after the last text line, in print order.
        flow_end: Baseline below the last text line.
        rng: Random source.
        level: Degradation settings.
    """
    bottom_baseline = page.height - page.px(BOTTOM_INCHES)
    stamp_baseline = bottom_baseline - page.px(0.42)
    strays = [entry["text"] for entry in tail if entry["kind"] == "stray"]
    box_texts = [entry["text"] for entry in tail if entry["kind"] == "review_box"]
    stamps = [entry["text"] for entry in tail if entry["kind"] == "archive_stamp"]
    y = flow_end
    if strays:
        x = page.width - page.px(1.6) + int(rng.integers(-page.px(0.13), page.px(0.13)))
        for text in strays:
            y += page.px(0.3)
            shown = "\u2013" if text == "\u2014" else text  # a short pen dash
            page.record("stray", text, text_layer(page.pen, shown, fonts.hand_large, (x, y), 0.9))
    if box_texts:
        lines = review_box_lines(box_texts)
        box_h = len(lines) * round(fonts.stamp.size * 1.45) + 2 * page.px(0.08)
        lowest = stamp_baseline - page.px(0.35) - box_h
        top = max(min(max(y + page.px(0.35), round(page.height * 0.6)), lowest), y + page.px(0.2))
        draw_review_box(page, fonts, box_texts, top, rng)
    for text in stamps:
        angle = float(rng.uniform(-0.8, 0.8))
        layer = np.zeros_like(page.stamp)
        x = page.px(0.9) + int(rng.integers(0, page.px(0.2)))
        box = text_layer(layer, text, fonts.stamp_small, (x, stamp_baseline), 0.9)
        centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        np.maximum(page.stamp, rotate_layer(layer, angle, centre), out=page.stamp)
        page.record("archive_stamp", text, rotate_box(box, angle, centre))
        stamp_baseline -= page.px(0.2)
    for entry in tail:
        if entry["kind"] == "classification":
            text = entry["text"].upper()
            width = len(text) * page.dpi / CHARS_PER_INCH
            x = round((page.width - width) / 2)
            box = type_line(page, fonts, text, x, bottom_baseline, rng, level)
            page.record("classification", text, box)


def finish_page(
    page: Page, rng: np.random.Generator, level: Degradation
) -> tuple[npt.NDArray[np.uint8], float, list[dict[str, object]]]:
    """Turn the ink layers into a scanned grayscale image.

    Args:
        page: The drawn page.
        rng: Random source for this page.
        level: Degradation settings.

    Returns:
        The 8-bit image, the skew applied (degrees, counter-clockwise positive) and the
        drawn lines with their boxes in the skewed image.
    """
    shape = (page.height, page.width)
    scale = page.dpi / 300
    typed = page.typed
    if level.ribbon_floor < 1.0:
        typed = typed * smooth_field(rng, shape, page.px(0.6), level.ribbon_floor)
    for _ in range(level.speckles):
        y, x = int(rng.integers(0, shape[0])), int(rng.integers(0, shape[1]))
        radius = max(1, round((2 if rng.random() < level.large_speckle_share else 1) * scale))
        cv2.circle(typed, (x, y), radius, float(rng.uniform(0.35, 0.9)), -1, cv2.LINE_AA)
    for _ in range(level.blotches):
        y, x = int(rng.integers(0, shape[0])), int(rng.integers(0, shape[1]))
        axes = (round(rng.uniform(4, 14) * scale), round(rng.uniform(3, 8) * scale))
        cv2.ellipse(
            typed,
            (x, y),
            axes,
            float(rng.uniform(0, 180)),
            0,
            360,
            float(rng.uniform(0.15, 0.45)),
            -1,
            cv2.LINE_AA,
        )
    step = 255 / (PAPER_LEVELS - 1)
    paper_level = round(float(rng.uniform(*level.paper)) / step) * step
    image = np.full(shape, paper_level, np.float32)
    for layer, ink in ((typed, TYPE_INK), (page.stamp, STAMP_INK), (page.pen, PEN_INK)):
        coverage = np.clip(layer, 0.0, 1.0)
        image = image * (1.0 - coverage) + ink * coverage
    skew = 0.0
    if level.skew_degrees[1] > 0:
        skew = float(rng.uniform(*level.skew_degrees)) * (1 if rng.random() < 0.5 else -1)
        centre = (page.width / 2, page.height / 2)
        matrix = cv2.getRotationMatrix2D(centre, skew, 1.0)
        warped = cv2.warpAffine(
            image,
            matrix,
            (page.width, page.height),
            flags=cv2.INTER_CUBIC,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=paper_level,
        )
        image = np.asarray(warped, dtype=np.float32)
    else:
        centre = (page.width / 2, page.height / 2)
    if level.noise_sigma:
        # Grain before the optics: the blur below makes it spatially correlated.
        image += rng.normal(0.0, level.noise_sigma, shape).astype(np.float32)
    if level.blur_sigma:
        image = np.asarray(
            cv2.GaussianBlur(image, (0, 0), level.blur_sigma * scale), dtype=np.float32
        )
    if level.noise_sigma:
        # Scanner background clean-up: bare paper comes out flat at its own level.
        image[image > paper_level - BACKGROUND_CLIP] = paper_level
    quantised = np.clip(np.round(image / step) * step, 0, 255).astype(np.uint8)
    lines = []
    for line in page.lines:
        box = line["box"]
        assert isinstance(box, list)
        moved = rotate_box((box[0], box[1], box[2], box[3]), skew, centre)
        clipped = [
            max(0, moved[0]),
            max(0, moved[1]),
            min(page.width, moved[2]),
            min(page.height, moved[3]),
        ]
        lines.append({"kind": line["kind"], "text": line["text"], "box": clipped})
    return quantised, skew, lines


def render(
    layout: dict[str, object],
    out: Path,
    seed: int,
    level_name: str,
    dpi: int,
    pdf_images: str = "bilevel",
) -> dict[str, object]:
    """Render every page of the layout and write the scans, the PDF and ``truth.json``.

    Args:
        layout: The parsed ``layout.json``.
        out: Output folder (created if missing).
        seed: Random seed.
        level_name: Key of :data:`LEVELS`.
        dpi: Output resolution.
        pdf_images: One of :data:`PDF_IMAGE_MODES`.

    Returns:
        The truth document that was written.
    """
    level = LEVELS[level_name]
    fonts = load_fonts(dpi)
    sections = layout["sections"]
    assert isinstance(sections, list)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("page-*.png"):
        stale.unlink()
    images: list[Image.Image] = []
    pages: list[dict[str, object]] = []
    number = 0
    for section_index, section in enumerate(sections, start=1):
        for page_index, page_lines in enumerate(section, start=1):
            number += 1
            rng = np.random.default_rng([seed, number])
            page = draw_page(page_lines, fonts, dpi, rng, level)
            pixels, skew, lines = finish_page(page, rng, level)
            image = Image.fromarray(pixels, mode="L")
            name = f"page-{number:02d}.png"
            image.save(out / name, optimize=True, dpi=(dpi, dpi))
            if pdf_images == "bilevel":
                black_white = np.where(pixels >= PDF_THRESHOLD, 255, 0).astype(np.uint8)
                images.append(Image.fromarray(black_white, mode="L").convert("1"))
            else:
                images.append(image)
            pages.append(
                {
                    "page": number,
                    "file": name,
                    "section": section_index,
                    "section_page": page_index,
                    "skew_degrees": round(skew, 3),
                    "lines": lines,
                }
            )
            print(
                f"{name}: section {section_index} page {page_index}, skew {skew:+.2f} deg",
                file=sys.stderr,
            )
    extra = {"quality": JPEG_QUALITY} if pdf_images == "jpeg" else {}
    images[0].save(
        out / PDF_NAME,
        "PDF",
        save_all=True,
        append_images=images[1:],
        resolution=float(dpi),
        creationDate=FIXED_PDF_DATE,
        modDate=FIXED_PDF_DATE,
        title=f"{layout.get('cable', '')} (synthetic scan)",
        **extra,
    )
    truth: dict[str, object] = {
        "cable": layout.get("cable"),
        "layout": "layout.json",
        "seed": seed,
        "degradation": level_name,
        "dpi": dpi,
        "page_size_px": [images[0].width, images[0].height],
        "pdf_images": pdf_images,
        "box_format": "[left, top, right, bottom] in pixels of the saved page image",
        "pages": pages,
    }
    (out / "truth.json").write_text(
        json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return truth


def main(argv: Sequence[str] | None = None) -> int:
    """Render the sample scans.

    Args:
        argv: Command-line arguments (defaults to ``sys.argv[1:]``).

    Returns:
        The process exit code.
    """
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--layout", type=Path, default=DEFAULT_LAYOUT, help="layout.json")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--seed", type=int, default=4648, help="random seed (default 4648)")
    parser.add_argument(
        "--degradation",
        choices=sorted(LEVELS),
        default="moderate",
        help="how worn the scans look (default moderate)",
    )
    parser.add_argument("--dpi", type=int, default=300, help="resolution (default 300)")
    parser.add_argument(
        "--pdf-images",
        choices=PDF_IMAGE_MODES,
        default="bilevel",
        help="page images in the PDF: bilevel CCITT G4 (default) or grayscale JPEG",
    )
    args = parser.parse_args(argv)
    if args.dpi < 72:
        parser.error("--dpi must be at least 72")
    layout = json.loads(args.layout.read_text(encoding="utf-8"))
    truth = render(layout, args.out, args.seed, args.degradation, args.dpi, args.pdf_images)
    pages = truth["pages"]
    assert isinstance(pages, list)
    total = sum(path.stat().st_size for path in args.out.iterdir() if path.is_file())
    print(f"{args.out}: {len(pages)} pages, {total / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
