from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest

from pipeline.layout import (
    add_dash_rows,
    drop_fragments,
    find_dash_rows,
    read_rows_across_blocks,
)
from pipeline.records import Box, OcrWord


def _line_words(block: int, line: int, left: int, top: int, *texts: str) -> list[OcrWord]:
    """Words of one text line, 30 px per character with one blank between words, 40 px high."""
    words = []
    for text in texts:
        words.append(OcrWord(text, 0.95, Box(left, top, 30 * len(text), 40), line, block))
        left += 30 * (len(text) + 1)
    return words


def _texts(words: tuple[OcrWord, ...]) -> list[str]:
    lines: dict[int, list[str]] = {}
    for word in words:
        lines.setdefault(word.line, []).append(word.text)
    return [" ".join(lines[number]) for number in sorted(lines)]


def test_side_by_side_blocks_on_shared_baselines_are_read_across() -> None:
    words = [
        *_line_words(1, 0, 100, 100, "VICE-PRESIDENT"),
        *_line_words(1, 1, 100, 150, "MARY", "HAY"),
        *_line_words(2, 2, 1500, 102, "TREASURER"),
        *_line_words(2, 3, 1500, 148, "ELEANOR", "BATES"),
        *_line_words(2, 4, 1500, 200, "OHIO"),
        *_line_words(3, 5, 100, 400, "Dear", "Clara:"),
    ]
    across = read_rows_across_blocks(words, 0.75)
    assert _texts(across) == [
        "VICE-PRESIDENT",
        "TREASURER",
        "MARY HAY",
        "ELEANOR BATES",
        "OHIO",
        "Dear Clara:",
    ]
    assert [w.line for w in across] == [0, 1, 2, 2, 3, 3, 4, 5, 5]
    assert read_rows_across_blocks(words, 0.0) == tuple(words)


def test_columns_of_text_keep_their_order() -> None:
    staggered = [  # lines of the right column fall between those of the left one
        *_line_words(1, 0, 100, 100, "left", "one"),
        *_line_words(1, 1, 100, 150, "left", "two"),
        *_line_words(2, 2, 1500, 125, "right", "one"),
        *_line_words(2, 3, 1500, 175, "right", "two"),
    ]
    assert read_rows_across_blocks(staggered, 0.75) == tuple(staggered)
    running = [  # aligned, but a line's phrase goes on below it in its own column
        *_line_words(1, 0, 100, 100, "PRESIDENT,", "CARRIE", "CATT,"),
        *_line_words(1, 1, 100, 150, "2", "WEST", "STREET"),
        *_line_words(2, 2, 1500, 100, "SECRETARY,", "MARTINA"),
        *_line_words(2, 3, 1500, 150, "ROTTERDAM"),
    ]
    assert read_rows_across_blocks(running, 0.75) == tuple(running)
    small = [  # same baselines, but type of another size (a margin note)
        *_line_words(1, 0, 100, 100, "left", "one"),
        *_line_words(2, 1, 1500, 90, "NOTE"),
    ]
    small[-1] = dataclasses.replace(small[-1], box=Box(1500, 110, 60, 20))
    assert read_rows_across_blocks(small, 0.75) == tuple(small)


def _dash_page(words: list[OcrWord]) -> np.ndarray:
    page = np.full((800, 1600), 255, dtype=np.uint8)
    for word in words:  # ink where the words are, as a page has
        box = word.box
        assert box is not None
        page[box.top + 10 : box.bottom - 10, box.left + 5 : box.right - 5] = 0
    return page


def test_typed_dash_rows_are_found_and_added() -> None:
    words = [
        *_line_words(1, 0, 100, 100, "Care", "of", "Cooks,"),
        *_line_words(1, 1, 100, 400, "Cairo,", "Egypt"),
    ]
    page = _dash_page(words)
    for i in range(18):  # a separator: 18 dashes 20x8 px at the 30 px pitch, one missing
        if i != 7:
            page[250:258, 300 + 30 * i : 320 + 30 * i] = 0
    for i in range(10):  # an "=" line: two bars each
        page[600:606, 300 + 30 * i : 320 + 30 * i] = 0
        page[612:618, 300 + 30 * i : 320 + 30 * i] = 0
    for left in (300, 320, 365, 385, 440, 462, 520, 560):  # specks along a faint rule
        page[700:704, left : left + 12] = 0
    rows = find_dash_rows(page, words, 5)
    assert rows == [(18, Box(300, 250, 530, 8))]
    assert find_dash_rows(page, words, 0) == []
    added = add_dash_rows(page, words, 5)
    assert _texts(added) == ["Care of Cooks,", "-" * 18, "Cairo, Egypt"]
    assert [w.line for w in added] == [0, 0, 0, 1, 2, 2]
    assert add_dash_rows(page, words, 0) == tuple(words)


def test_dashes_tesseract_read_are_not_added_again() -> None:
    words = [*_line_words(1, 0, 100, 100, "Care", "of", "Cooks,")]
    page = _dash_page(words)
    for i in range(18):
        page[250:258, 300 + 30 * i : 320 + 30 * i] = 0
    read = OcrWord("-" * 18, 0.5, Box(295, 240, 545, 30), 1, 1)
    assert add_dash_rows(page, [*words, read], 5) == (*words, read)


def test_dashes_on_the_level_of_a_line_join_it() -> None:
    words = [*_line_words(1, 0, 500, 100, "017101", "221612Z", "/41")]
    page = _dash_page(words)
    for i in range(5):  # "-----017101": the dashes Tesseract left out, left of the serial
        page[118:124, 340 + 30 * i : 360 + 30 * i] = 0
    added = add_dash_rows(page, words, 5)
    assert _texts(added) == ["----- 017101 221612Z /41"]
    assert {w.line for w in added} == {0}


def test_a_dash_row_is_found_on_a_page_full_of_flat_specks() -> None:
    words = [*_line_words(1, 0, 100, 100, "Care", "of", "Cooks,")]
    page = _dash_page(words)
    rng = np.random.default_rng(0)
    for _ in range(5000):  # dash-shaped specks all over the lower page
        x, y = int(rng.integers(0, 1580)), int(rng.integers(400, 795))
        page[y : y + 4, x : x + 16] = 0
    for i in range(12):
        page[250:258, 300 + 30 * i : 320 + 30 * i] = 0
    assert find_dash_rows(page, words, 5) == [(12, Box(300, 250, 350, 8))]


def test_dash_rows_are_placed_in_their_line_or_after_the_nearest_line_above() -> None:
    words = [
        *_line_words(1, 0, 100, 100, "FROM"),
        *_line_words(1, 0, 900, 100, "TO"),
        *_line_words(2, 1, 900, 300, "RIGHT", "COLUMN"),
    ]
    page = _dash_page(words)
    for i in range(8):  # between FROM and TO on their line
        page[118:124, 300 + 30 * i : 320 + 30 * i] = 0
    for i in range(8):  # on the level of the right column's line, but far to its left
        page[318:324, 100 + 30 * i : 120 + 30 * i] = 0
    for i in range(5):  # below everything, under no line: after the nearest line above
        page[600:606, 1300 + 30 * i : 1320 + 30 * i] = 0
    added = add_dash_rows(page, words, 5)
    assert _texts(added) == ["FROM -------- TO", "--------", "RIGHT COLUMN", "-----"]
    assert [w.line for w in added] == [0, 0, 0, 1, 2, 2, 3]


@pytest.mark.parametrize(
    "convert",
    [
        lambda page: page.astype(np.float32) / 255.0,
        lambda page: page > 127,
        lambda page: page[:, :, None],
        lambda page: np.dstack([page, page, page]),
        lambda page: page.astype(np.uint16) * 257,
    ],
)
def test_dash_rows_are_found_on_any_kind_of_page_image(
    convert: Callable[[np.ndarray], np.ndarray],
) -> None:
    words = [*_line_words(1, 0, 100, 100, "Care", "of", "Cooks,")]
    page = _dash_page(words)
    for i in range(12):
        page[250:258, 300 + 30 * i : 320 + 30 * i] = 0
    assert find_dash_rows(convert(page), words, 5) == [(12, Box(300, 250, 350, 8))]


def _placed(text: str, confidence: float, line: int, left: int) -> OcrWord:
    return OcrWord(text, confidence, Box(left, 100 * line, 30 * len(text), 40), line, 1)


def test_drop_fragments_removes_garbage_read_beside_a_typed_line() -> None:
    words = [
        _placed("PRESIDENT", 0.96, 0, 100),
        _placed("BOARD", 0.96, 0, 420),
        _placed("jdpcinae:", 0.0, 0, 1200),  # 630 px (16 word heights) to the right
        _placed("siden", 0.05, 0, 1500),
        _placed("MANUS", 0.96, 1, 100),
        _placed("WARDEN", 0.95, 1, 1200),  # set apart but read surely: stays
        _placed("Mc", 0.04, 2, 100),  # low confidence but close to the next word: stays
        _placed("CLOSKEY", 0.96, 2, 200),
        _placed("eae", 0.06, 3, 100),  # alone on its line: left to drop_noise
    ]
    kept = drop_fragments(words, 0.1)
    assert [w.text for w in kept] == [
        "PRESIDENT",
        "BOARD",
        "MANUS",
        "WARDEN",
        "Mc",
        "CLOSKEY",
        "eae",
    ]
    assert drop_fragments(words, 0.0) == tuple(words)
    faint = [  # every run of the line is faint: the line stays for drop_noise to judge
        _placed("KALSEM", 0.02, 0, 100),
        _placed("DIETITIAN", 0.05, 0, 1200),
        _placed("-----", 0.03, 1, 100),  # typed dashes set apart stay
        _placed("017101", 0.95, 1, 1200),
    ]
    assert drop_fragments(faint, 0.1) == tuple(faint)
