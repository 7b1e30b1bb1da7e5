from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from pipeline.config import OcrConfig
from pipeline.errors import MissingDependencyError
from pipeline.ocr import check_tesseract, recognize, tesseract_options, words_from_tesseract_data
from pipeline.records import Box, PageRef

REF = PageRef("scan.pdf", 1, 0)


def tesseract_data(rows: list[tuple[Any, ...]]) -> dict[str, list[Any]]:
    """An ``image_to_data`` dict from (level, block, par, line, left, top, w, h, conf, text)."""
    keys = ("level", "block_num", "par_num", "line_num", "left", "top", "width", "height")
    data: dict[str, list[Any]] = {k: [] for k in (*keys, "conf", "text")}
    for row in rows:
        for key, value in zip((*keys, "conf", "text"), row, strict=True):
            data[key].append(value)
    return data


DATA = tesseract_data(
    [
        (1, 1, 0, 0, 0, 0, 800, 1000, -1, ""),
        (4, 1, 1, 1, 10, 10, 300, 30, -1, ""),
        (5, 1, 1, 1, 10, 10, 120, 30, 96.5, "SECSTATE"),
        (5, 1, 1, 1, 140, 10, 100, 30, "91", "WASHDC"),
        (5, 1, 1, 2, 10, 50, 60, 30, 88, " "),
        (5, 1, 1, 2, 80, 50, 60, 30, -1, "GHOST"),
        (5, 1, 2, 1, 10, 90, 60, 30, 45.25, "IMMEDIATE"),
        (5, 2, 1, 1, 10, 200, 60, 30, 70, "STOESSEL"),
        (5, 2, 1, 3, 10, 240, 60, 30, 100, "END"),
    ]
)


def test_words_from_tesseract_data() -> None:
    words = words_from_tesseract_data(DATA, REF)
    assert [w.text for w in words] == ["SECSTATE", "WASHDC", "IMMEDIATE", "STOESSEL", "END"]
    assert [w.line for w in words] == [0, 0, 1, 2, 3]
    assert [w.block for w in words] == [1, 1, 1, 2, 2]
    assert words[0].confidence == pytest.approx(0.965)
    assert words[1].confidence == pytest.approx(0.91)
    assert words[0].box == Box(10, 10, 120, 30)


def test_words_without_level_column_and_empty() -> None:
    data = {k: v[2:4] for k, v in DATA.items() if k != "level"}
    assert [w.text for w in words_from_tesseract_data(data, REF)] == ["SECSTATE", "WASHDC"]
    assert words_from_tesseract_data(tesseract_data([]), REF) == ()


def test_tesseract_options() -> None:
    config = OcrConfig(psm=4, oem=1, variables={"preserve_interword_spaces": "1"})
    assert tesseract_options(config, 300) == (
        "--oem 1 --psm 4 --dpi 300 -c preserve_interword_spaces=1 -c tessedit_do_invert=0"
    )
    assert "--dpi" not in tesseract_options(config, 0)


def test_invert_check_is_off_unless_asked() -> None:
    assert "tessedit_do_invert" not in tesseract_options(OcrConfig(invert_check=True), 0)
    explicit = OcrConfig(variables={"tessedit_do_invert": "1"})
    assert tesseract_options(explicit, 0).endswith("-c tessedit_do_invert=1")


@pytest.mark.usefixtures("needs_tesseract")
def test_missing_language_names_the_fix() -> None:
    with pytest.raises(MissingDependencyError, match=r"'xxx' is not installed.*tesseract-ocr-xxx"):
        check_tesseract(OcrConfig(lang="eng+xxx"))


def test_missing_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingDependencyError, match="apt-get install tesseract-ocr"):
        check_tesseract(OcrConfig())
    with pytest.raises(MissingDependencyError, match="program not found"):
        recognize(np.full((200, 200), 255, np.uint8), REF, OcrConfig(), 300)


@pytest.mark.tesseract
@pytest.mark.usefixtures("needs_tesseract")
def test_recognize_rendered_page(make_page: Callable[..., Path]) -> None:
    check_tesseract(OcrConfig())
    pixels = np.asarray(Image.open(make_page("p.png")))
    page = recognize(pixels, REF, OcrConfig(psm=6), 150)
    text = [" ".join(w.text for w in line) for line in page.lines()]
    assert "FM AMEMBASSY MOSCOW" in text
    assert "SUBJECT: SOVIET GRAIN PURCHASES" in text
    assert (page.width, page.height, page.dpi) == (1275, 1650, 150)
    assert all(w.confidence is not None and 0 <= w.confidence <= 1 for w in page.words)
    assert all(w.box is not None and w.box.right <= page.width for w in page.words)
    assert page.steps[0].settings["psm"] == 6
