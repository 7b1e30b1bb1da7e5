"""Reading order and typed rules after OCR: what Tesseract's layout analysis gets wrong.

Three corrections of a page's words, all measured on real typed pages (``OcrConfig``):

- ``drop_fragments``: garbage read from handwriting or a stamp beside a typed line goes.
- ``read_rows_across_blocks``: side-by-side blocks whose lines share baselines (a
  letterhead, a typed table) are read row by row, as a person reads them; columns of
  running text keep Tesseract's order.
- ``add_dash_rows``: rows of typed hyphens that Tesseract reads as nothing (separator
  lines, the dashes before a serial) are found in the image and added as words.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
from collections.abc import Sequence

import cv2
import numpy as np

from pipeline.preprocess import grayscale, ink_mask
from pipeline.records import Box, OcrWord


@dataclasses.dataclass(frozen=True, slots=True)
class _Line:
    """A text line of a page: its words, block and extent."""

    words: tuple[OcrWord, ...]
    block: int
    left: int
    top: int
    right: int
    bottom: int

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def height(self) -> int:
        return max(1, self.bottom - self.top)


def _page_lines(words: Sequence[OcrWord]) -> list[_Line] | None:
    """The page's lines in reading order; ``None`` when a word has no box."""
    grouped: dict[int, list[OcrWord]] = {}
    for word in words:
        if word.box is None:
            return None
        grouped.setdefault(word.line, []).append(word)
    lines = []
    for number in sorted(grouped):
        line = grouped[number]
        boxes = [w.box for w in line if w.box is not None]
        lines.append(
            _Line(
                tuple(line),
                line[0].block,
                min(b.left for b in boxes),
                min(b.top for b in boxes),
                max(b.right for b in boxes),
                max(b.bottom for b in boxes),
            )
        )
    return lines


def drop_fragments(words: Sequence[OcrWord], below: float) -> tuple[OcrWord, ...]:
    """Drop the words read from handwriting or a stamp beside a typed line.

    Tesseract's line finding joins a signature or a letterhead's ornament to the typed line
    beside it and reads it into near-zero-confidence garbage (``jdpcinae: siden``). A line
    is cut into runs of words wherever the gap between two words exceeds ``FRAGMENT_GAP``
    times the line's median word height; a run whose mean confidence is under ``below``
    goes, as long as a run of the line stays. Runs of hyphens (typed dashes, whose
    confidence Tesseract underrates) always stay. ``below`` 0 keeps all.
    """
    lines = _page_lines(words) if below > 0 else None
    if not lines:
        return tuple(words)
    dropped: set[int] = set()
    for line in lines:
        boxes = [w.box for w in line.words if w.box is not None]
        gap = FRAGMENT_GAP * float(np.median([box.height for box in boxes]))
        runs: list[list[OcrWord]] = [[line.words[0]]]
        for (a, b), word in zip(itertools.pairwise(boxes), line.words[1:], strict=True):
            if b.left - a.right > gap:
                runs.append([word])
            else:
                runs[-1].append(word)
        weak = [
            run
            for run in runs
            if sum(w.confidence or 0.0 for w in run) / len(run) < below
            and not all(set(w.text) == {"-"} for w in run)
        ]
        if len(weak) < len(runs):
            dropped.update(id(w) for run in weak for w in run)
    return tuple(w for w in words if id(w) not in dropped)


FRAGMENT_GAP = 3.0
"""Gap between two words of a line, in word heights, that sets them in separate runs."""


def _beside(a: _Line | tuple[int, int, int, int], b: _Line | tuple[int, int, int, int]) -> bool:
    """Whether two extents (left, top, right, bottom) overlap vertically but not horizontally."""
    la, ta, ra, ba = (a.left, a.top, a.right, a.bottom) if isinstance(a, _Line) else a
    lb, tb, rb, bb = (b.left, b.top, b.right, b.bottom) if isinstance(b, _Line) else b
    return min(ba, bb) > max(ta, tb) and (ra <= lb or rb <= la)


def _same_row(a: _Line, b: _Line) -> bool:
    """Whether two lines of similar type size sit on the same baseline."""
    low, high = sorted((a.height, b.height))
    return low >= _SIMILAR_SIZE * high and abs(a.middle - b.middle) <= _ROW_TOLERANCE * low


_SIMILAR_SIZE = 0.6
"""Smallest ratio of line heights for two lines to count as the same row of type."""


def _rows(lines: Sequence[_Line]) -> list[_Line]:
    """``lines`` row by row: top to bottom, lines on the same baseline left to right."""
    rows: list[list[_Line]] = []
    for line in sorted(lines, key=lambda item: item.middle):
        row = rows[-1] if rows else None
        if row and all(_beside(line, other) for other in row) and _same_row(line, row[0]):
            row.append(line)
        else:
            rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda item: item.left)]


_ROW_TOLERANCE = 0.4
"""Largest distance between the middles of two lines on one row, in line heights."""

_RUN_ON = (",", ";", "-")
"""Endings of a line whose phrase goes on in the line below it."""


def read_rows_across_blocks(words: Sequence[OcrWord], min_aligned: float) -> tuple[OcrWord, ...]:
    """Read side-by-side blocks whose lines share baselines row by row.

    Tesseract's layout analysis may split a letterhead or a typed table into blocks side by
    side (names on the left, names on the right) and read them one after the other, while
    the page is read across: each row left to right, then the next row. Blocks that overlap
    vertically but not horizontally are grouped (transitively); in a group, the lines that
    lie beside another block of the group are checked for a line of similar type size in
    such a block on the same baseline (middles within 0.4 line heights). When at least
    ``min_aligned`` of them have one and none of them runs on (ends in a comma, semicolon
    or hyphen while its block goes on below: a column's entries), the group is read row by
    row, at the place of its first line; otherwise (columns of text, whose lines fall
    between each other's, or margin notes) its blocks keep Tesseract's order. Lines are
    numbered again from 0. ``min_aligned`` 0 keeps Tesseract's order everywhere.
    """
    lines = _page_lines(words) if min_aligned > 0 else None
    if not lines:
        return tuple(words)
    extents: dict[int, tuple[int, int, int, int]] = {}
    for line in lines:
        left, top, right, bottom = extents.get(
            line.block, (line.left, line.top, line.right, line.bottom)
        )
        extents[line.block] = (
            min(left, line.left),
            min(top, line.top),
            max(right, line.right),
            max(bottom, line.bottom),
        )
    blocks = list(extents)
    group = {block: block for block in blocks}

    def root(block: int) -> int:
        while group[block] != block:
            block = group[block]
        return block

    for i, a in enumerate(blocks):
        for b in blocks[i + 1 :]:
            if _beside(extents[a], extents[b]):
                group[root(b)] = root(a)
    members: dict[int, list[_Line]] = {}
    for line in lines:
        members.setdefault(root(line.block), []).append(line)
    order: dict[int, list[_Line]] = {}
    for key, group_lines in members.items():
        neighbours = {
            a: [b for b in extents if b != a and root(b) == key and _beside(extents[a], extents[b])]
            for a in {line.block for line in group_lines}
        }
        beside = aligned = run_on = 0
        for i, line in enumerate(group_lines):
            near = [b for b in neighbours[line.block] if _beside(line, extents[b])]
            if near:
                beside += 1
                aligned += any(
                    _same_row(line, other) for other in group_lines if other.block in near
                )
                below = group_lines[i + 1] if i + 1 < len(group_lines) else None
                if below is not None and below.block == line.block:
                    run_on += line.words[-1].text.endswith(_RUN_ON)
        if beside and aligned >= min_aligned * beside and not run_on:
            order[key] = _rows(group_lines)
    if not order:
        return tuple(words)
    reordered = set(order)
    result: list[OcrWord] = []
    number = 0
    for line in lines:
        key = root(line.block)
        if key in reordered:
            if key not in order:
                continue  # read with the first line of its group
            sequence = order.pop(key)
        else:
            sequence = [line]
        for item in sequence:
            result.extend(dataclasses.replace(w, line=number) for w in item.words)
            number += 1
    return tuple(result)


_DASH_CONFIDENCE = 0.9
"""Confidence given to a row of dashes found in the image."""


def _type_size(words: Sequence[OcrWord]) -> tuple[float, float] | None:
    """Median character pitch and word height of the page's words of 3+ characters."""
    sized = [
        w
        for w in words
        if w.box is not None and len(w.text) >= 3 and any(c.isalnum() for c in w.text)
    ]
    if not sized:
        return None
    pitch = float(np.median([w.box.width / len(w.text) for w in sized if w.box is not None]))
    height = float(np.median([w.box.height for w in sized if w.box is not None]))
    return pitch, height


def _gray8(image: np.ndarray) -> np.ndarray:
    """The page as 8-bit grayscale, whatever its sample type and channels."""
    if image.dtype != np.uint8:
        values = image.astype(np.float32)
        low, high = float(values.min()), float(values.max())
        scale = 255.0 / (high - low) if high > low else 0.0
        image = ((values - low) * scale).astype(np.uint8)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    return np.asarray(grayscale(image))


def find_dash_rows(
    image: np.ndarray, words: Sequence[OcrWord], min_dashes: int
) -> list[tuple[int, Box]]:
    """Rows of typed hyphens (separator lines) that no word covers: (dashes, extent).

    Tesseract's layout analysis takes a row of dashes for a rule or for noise and reads
    nothing there. A dash is a dark connected component (Otsu threshold) outside every
    word box, flat (at least 1.5 times as wide as high, at most 0.3 word heights high) and
    about a character wide (0.25-1.1 pitches, from the page's words). A row is at least
    ``min_dashes`` dashes on one level, as a typewriter leaves them: of one width (within
    30 %), each starting one step (0.6-1.5 pitches, within 20 %) after the last, or two
    steps where one dash did not print, with a gap between them, and nothing else inked
    within 0.4 word heights above or below (an ``=`` line, an underline, ruled paper).
    Specks along a faint rule or a paper edge are irregular and are not taken.
    """
    size = _type_size(words)
    if size is None or min_dashes <= 0:
        return []
    pitch, height = size
    gray = _gray8(image)
    ink = ink_mask(gray).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    left, top = stats[1:count, cv2.CC_STAT_LEFT], stats[1:count, cv2.CC_STAT_TOP]
    width, tall = stats[1:count, cv2.CC_STAT_WIDTH], stats[1:count, cv2.CC_STAT_HEIGHT]
    flat = (
        (width >= 0.25 * pitch)
        & (width <= 1.1 * pitch)
        & (tall <= 0.3 * height)
        & (width >= 1.5 * tall)
    )
    covered = np.zeros(gray.shape[:2], dtype=bool)
    for word in words:
        if word.box is not None:
            box = word.box
            covered[box.top : box.bottom, box.left : box.right] = True
    dashes = sorted(
        _Dash(int(left[i]), int(top[i]), int(width[i]), int(tall[i]))
        for i in np.flatnonzero(flat)
        if not covered[top[i] + tall[i] // 2, left[i] + width[i] // 2]
    )
    chains = _chain_dashes(dashes, pitch, height)
    found: list[tuple[int, Box]] = []
    for row in chains:
        if len(row) < max(2, min_dashes):
            continue
        box = _extent(row)
        # Nothing else may be inked just above or below the row: not an "=" line, an
        # underline under text, or ruled paper.
        margin = int(round(0.4 * height))
        around = ink[max(0, box.top - margin) : box.bottom + margin, box.left : box.right]
        own = ink[box.top : box.bottom, box.left : box.right]
        if np.count_nonzero(around) - np.count_nonzero(own) <= 0.25 * np.count_nonzero(own):
            found.append((round((row[-1].left - row[0].left) / _step(row)) + 1, box))
    return found


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class _Dash:
    """A dash-shaped ink component."""

    left: int
    top: int
    width: int
    height: int

    @property
    def middle(self) -> float:
        return self.top + self.height / 2


def _chain_dashes(dashes: Sequence[_Dash], pitch: float, height: float) -> list[list[_Dash]]:
    """Dashes (sorted left to right) in chains: each joins the oldest chain it continues.

    Only chains that can still grow are searched: those whose last dash is on a nearby
    level (bands of 0.15 word heights, the level tolerance of ``_continues``) and at most
    eight pitches to the left (two steps of a regular row are about two pitches). A page of
    specks stays linear.
    """
    band = max(1.0, 0.15 * height)
    reach = 8.0 * pitch
    chains: list[list[_Dash]] = []
    open_chains: dict[int, list[int]] = {}  # level band -> ids of chains ending there

    def level(dash: _Dash) -> int:
        return int(dash.middle // band)

    for dash in dashes:
        here = level(dash)
        joined: int | None = None
        for near in (here - 1, here, here + 1):
            ids = open_chains.get(near)
            if not ids:
                continue
            ids[:] = [c for c in ids if chains[c][-1].left >= dash.left - reach]
            for c in ids:
                if joined is not None and c > joined:
                    break
                if _continues(chains[c], dash, pitch, height):
                    joined = c
                    break
        if joined is None:
            joined = len(chains)
            chains.append([dash])
        else:
            open_chains[level(chains[joined][-1])].remove(joined)
            chains[joined].append(dash)
        bisect.insort(open_chains.setdefault(here, []), joined)
    return chains


def _step(chain: Sequence[_Dash]) -> float:
    """The distance from one dash of ``chain`` to the next (its smallest regular step)."""
    steps = sorted(b.left - a.left for a, b in itertools.pairwise(chain))
    return float(steps[len(steps) // 4])


def _continues(chain: Sequence[_Dash], dash: _Dash, pitch: float, height: float) -> bool:
    """Whether ``dash`` is the next dash of ``chain`` (see ``find_dash_rows``)."""
    last = chain[-1]
    step = dash.left - last.left
    if abs(dash.middle - last.middle) > 0.15 * height or dash.left < last.left + last.width + 1:
        return False
    if not 0.7 * chain[0].width <= dash.width <= chain[0].width / 0.7:
        return False
    if len(chain) == 1:
        return 0.6 * pitch <= step <= 1.5 * pitch
    regular = _step(chain)
    return any(abs(step - k * regular) <= 0.2 * regular for k in (1, 2))


def _extent(chain: Sequence[_Dash]) -> Box:
    top = min(d.top for d in chain)
    bottom = max(d.top + d.height for d in chain)
    right = chain[-1].left + chain[-1].width
    return Box(chain[0].left, top, right - chain[0].left, bottom - top)


def _joins(line: _Line, box: Box) -> bool:
    """Whether a dash row on ``line``'s level belongs in it: close beside it or between words."""
    if _beside(line, (box.left, box.top, box.right, box.bottom)):
        gap = max(line.left - box.right, box.left - line.right)
        return gap <= 2 * line.height
    return not any(
        w.box is not None and w.box.left < box.right and box.left < w.box.right for w in line.words
    )


def add_dash_rows(
    image: np.ndarray, words: Sequence[OcrWord], min_dashes: int
) -> tuple[OcrWord, ...]:
    """``words`` with the rows of typed dashes ``find_dash_rows`` finds.

    A row is a word of as many hyphens as it has dashes. A row on the level of a text line,
    beside it within two line heights (``-----017011 221610Z``) or between its words, is a
    word of the nearest such line, in its place from left to right; any other row is a line
    of its own, read after the nearest line above it that it overlaps horizontally (else the
    nearest line above; at the top of the page when there is none). Lines are numbered again
    from 0. ``min_dashes`` 0 adds nothing.
    """
    rows = find_dash_rows(image, words, min_dashes) if min_dashes > 0 else []
    lines = _page_lines(words) if rows else None
    if not rows or lines is None:
        return tuple(words)
    inside: dict[int, list[Box]] = {}  # line index -> rows on its level
    after: dict[int, list[Box]] = {}  # line index (-1: page top) -> rows below it
    for box in sorted((box for _, box in rows), key=lambda box: box.top):
        dash = _Line((), 0, box.left, box.top, box.right, box.bottom)
        level = [
            i
            for i, line in enumerate(lines)
            if line.top <= dash.middle <= line.bottom and _joins(line, box)
        ]
        if level:
            gap = {i: max(lines[i].left - box.right, box.left - lines[i].right) for i in level}
            inside.setdefault(min(level, key=lambda i: gap[i]), []).append(box)
            continue
        above = [i for i, line in enumerate(lines) if line.bottom <= dash.middle]
        overlapping = [i for i in above if lines[i].left < box.right and box.left < lines[i].right]
        after.setdefault(
            max(overlapping or above, key=lambda i: lines[i].bottom, default=-1), []
        ).append(box)
    counts = {box: dashes for dashes, box in rows}

    def dash_word(box: Box, line: int, block: int) -> OcrWord:
        return OcrWord("-" * counts[box], _DASH_CONFIDENCE, box, line, block)

    result: list[OcrWord] = []
    number = 0
    for i, line in [(-1, None), *enumerate(lines)]:
        if line is not None:
            placed = [dataclasses.replace(w, line=number) for w in line.words]
            if i in inside:
                placed += [dash_word(box, number, line.block) for box in inside[i]]
                placed.sort(key=lambda w: w.box.left if w.box else 0)
            result.extend(placed)
            number += 1
        block = lines[max(i, 0)].block
        for box in after.get(i, []):
            result.append(dash_word(box, number, block))
            number += 1
    return tuple(result)
