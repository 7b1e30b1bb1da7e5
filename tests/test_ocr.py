from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import pipeline.ocr
from pipeline.config import TYPEWRITER_BLACKLIST, OcrConfig
from pipeline.errors import BadArgumentsError, MissingDependencyError
from pipeline.ocr import (
    WordRow,
    check_tesseract,
    data_from_word_rows,
    drop_noise,
    recognize,
    resolve_engine,
    tesseract_options,
    tesseract_variables,
    tesserocr_available,
    words_from_tesseract_data,
)
from pipeline.records import Box, OcrWord, PageRef

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
    config = OcrConfig(
        psm=4, oem=1, variables={"preserve_interword_spaces": "1"}, char_blacklist=""
    )
    assert tesseract_options(config, 300) == (
        "--oem 1 --psm 4 --dpi 300 -c preserve_interword_spaces=1 -c tessedit_do_invert=0"
    )
    assert "--dpi" not in tesseract_options(config, 0)


def test_invert_check_is_off_unless_asked() -> None:
    assert "tessedit_do_invert" not in tesseract_options(OcrConfig(invert_check=True), 0)
    explicit = OcrConfig(variables={"tessedit_do_invert": "1"})
    assert tesseract_options(explicit, 0).endswith("-c tessedit_do_invert=1")


def test_blacklist_survives_the_command_line() -> None:
    options = shlex.split(tesseract_options(OcrConfig(), 0))
    assert f"tessedit_char_blacklist={TYPEWRITER_BLACKLIST}" in options
    assert "\\" in TYPEWRITER_BLACKLIST and "|" in TYPEWRITER_BLACKLIST
    mine = OcrConfig(variables={"tessedit_char_blacklist": "@"})
    assert tesseract_variables(mine)["tessedit_char_blacklist"] == "@"


def _word(text: str, confidence: float, line: int) -> OcrWord:
    return OcrWord(text, confidence, Box(0, 0, 10, 10), line)


def test_drop_noise_removes_low_confidence_symbols_and_specks() -> None:
    words = [
        _word("Dear", 0.95, 0),
        _word("—", 0.40, 0),  # a low-confidence symbol inside a text line
        _word("Sir:", 0.93, 0),
        _word("--", 0.47, 0),  # the typewriter's dash stays
        _word("=", 0.96, 1),  # a confident symbol stays
        _word("ee", 0.30, 2),  # a speck line: few letters, low confidence
        _word("aL", 0.20, 2),
        _word("etc.", 0.95, 3),  # a short line read surely stays
        _word("Yours", 0.60, 4),  # a long enough line stays whatever its confidence
    ]
    kept = drop_noise(words, 0.7, 4)
    assert [(w.text, w.line) for w in kept] == [
        ("Dear", 0),
        ("Sir:", 0),
        ("--", 0),
        ("=", 1),
        ("etc.", 2),
        ("Yours", 3),
    ]
    assert drop_noise(words, 0.0, 4) == tuple(words)


@pytest.mark.usefixtures("needs_tesseract")
def test_missing_language_names_the_fix() -> None:
    with pytest.raises(MissingDependencyError, match=r"'xxx' is not installed.*tesseract-ocr-xxx"):
        check_tesseract(OcrConfig(lang="eng+xxx"))


@pytest.mark.parametrize("engine", ["auto", "cli", "tesserocr"])
def test_missing_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str) -> None:
    if engine == "tesserocr" and not tesserocr_available():
        pytest.skip("tesserocr is not installed")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingDependencyError, match="apt-get install tesseract-ocr"):
        check_tesseract(OcrConfig(engine=engine))
    with pytest.raises(MissingDependencyError, match="program not found"):
        recognize(np.full((200, 200), 255, np.uint8), REF, OcrConfig(engine="cli"), 300)


# ----------------------------------------------------------------------------- engines

# (text, conf 0-100, (left, top, right, bottom), starts block, starts para, starts line)
ROWS: list[WordRow] = [
    ("SECSTATE", 96.5, (10, 10, 130, 40), True, True, True),
    ("WASHDC", 91.0, (140, 10, 240, 40), False, False, False),
    (" ", 88.0, (10, 50, 70, 80), False, False, True),
    ("IMMEDIATE", 45.25, (10, 90, 70, 120), False, True, True),
    ("STOESSEL", 70.0, (10, 200, 70, 230), True, True, True),
    ("END", 100.0, (10, 240, 70, 270), False, False, True),
]


def test_word_rows_give_the_same_records_as_tesseract_data() -> None:
    data = data_from_word_rows(ROWS)
    assert data["block_num"] == [1, 1, 1, 1, 2, 2]
    assert data["par_num"] == [1, 1, 1, 2, 1, 1]
    assert data["line_num"] == [1, 1, 2, 1, 1, 2]
    words = words_from_tesseract_data(data, REF)
    assert words == words_from_tesseract_data(DATA, REF)
    assert [w.line for w in words] == [0, 0, 1, 2, 3]
    assert words[0].box == Box(10, 10, 120, 30)
    assert words_from_tesseract_data(data_from_word_rows([]), REF) == ()


def test_unknown_engine_is_rejected() -> None:
    with pytest.raises(BadArgumentsError, match="unknown OCR engine 'gpu'"):
        OcrConfig(engine="gpu")


def _no_tesserocr() -> Any:
    raise ImportError("No module named 'tesserocr'")


def test_engine_without_tesserocr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline.ocr, "_tesserocr", _no_tesserocr)
    monkeypatch.setattr(pipeline.ocr, "_AUTO", {})
    assert resolve_engine(OcrConfig(engine="auto")) == "cli"
    assert resolve_engine(OcrConfig(engine="cli")) == "cli"
    with pytest.raises(MissingDependencyError, match="pip install tesserocr"):
        resolve_engine(OcrConfig(engine="tesserocr"))


def test_auto_needs_the_language_in_tesserocr_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline.ocr, "_AUTO", {})
    monkeypatch.setattr(pipeline.ocr, "tesserocr_available", lambda: True)
    monkeypatch.setattr(pipeline.ocr, "tessdata_path", lambda _dir=None: "/data/")
    monkeypatch.setattr(pipeline.ocr, "_tesserocr_languages", lambda _path: ["eng", "osd"])
    assert resolve_engine(OcrConfig(engine="auto", lang="eng")) == "tesserocr"
    assert resolve_engine(OcrConfig(engine="auto", lang="eng+xxx")) == "cli"
    monkeypatch.setattr(pipeline.ocr, "tessdata_path", lambda _dir=None: None)
    assert resolve_engine(OcrConfig(engine="auto", lang="eng")) == "tesserocr"  # kept
    assert resolve_engine(OcrConfig(engine="auto", lang="eng", oem=3)) == "cli"


class FakeApi:
    def __init__(self) -> None:
        self.values = {"tessedit_do_invert": "1", "user_defined_dpi": "0"}

    def GetVariableAsString(self, name: str) -> str | None:  # noqa: N802
        return self.values.get(name)

    def SetVariable(self, name: str, value: str) -> bool:  # noqa: N802
        if name not in self.values:
            return False
        self.values[name] = value
        return True


def test_engine_variables_do_not_leak_between_configs() -> None:
    api = FakeApi()
    engine = pipeline.ocr._Engine(api)
    engine.configure({"tessedit_do_invert": "0", "user_defined_dpi": "300"})
    assert api.values == {"tessedit_do_invert": "0", "user_defined_dpi": "300"}
    engine.configure({"user_defined_dpi": "0"})
    assert api.values == {"tessedit_do_invert": "1", "user_defined_dpi": "0"}
    engine.configure({"bogus": "1"})  # skipped, as the tesseract program skips it
    assert "bogus" not in api.values and api.values["tessedit_do_invert"] == "1"


def test_parse_tessdata_folder() -> None:
    listing = 'List of available languages in "/usr/share/tesseract-ocr/5/tessdata/" (2):\neng\n'
    assert pipeline.ocr._parse_tessdata(listing) == "/usr/share/tesseract-ocr/5/tessdata/"
    assert pipeline.ocr._parse_tessdata("eng\nosd\n") is None


@pytest.mark.usefixtures("needs_tesseract")
def test_missing_language_with_tesserocr_names_the_fix() -> None:
    if not tesserocr_available():
        pytest.skip("tesserocr is not installed")
    config = OcrConfig(lang="eng+xxx", engine="tesserocr")
    with pytest.raises(MissingDependencyError, match=r"'xxx' is not installed.*tesseract-ocr-xxx"):
        check_tesseract(config)
    with pytest.raises(MissingDependencyError, match=r"'xxx' is not installed.*tesseract-ocr-xxx"):
        recognize(np.full((200, 200), 255, np.uint8), REF, config, 300)


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


@pytest.mark.tesseract
@pytest.mark.usefixtures("needs_tesseract")
def test_both_engines_read_the_same_words(make_page: Callable[..., Path]) -> None:
    pixels = np.asarray(Image.open(make_page("p.png")))
    engines = ["cli", "tesserocr"] if tesserocr_available() else ["cli"]
    pages = {e: recognize(pixels, REF, OcrConfig(psm=6, engine=e), 150) for e in engines}
    assert pages["cli"].steps[0].settings["engine"] == "cli"
    if "tesserocr" not in pages:
        pytest.skip("tesserocr is not installed")
    cli, lib = pages["cli"], pages["tesserocr"]
    assert lib.steps[0].settings["engine"] == "tesserocr"
    assert (lib.width, lib.height, lib.dpi) == (cli.width, cli.height, cli.dpi)
    cli_words = [w.text for w in cli.words]
    lib_words = [w.text for w in lib.words]
    same = sum(a == b for a, b in zip(cli_words, lib_words, strict=False))
    assert abs(len(cli_words) - len(lib_words)) <= 2
    assert same >= 0.9 * len(cli_words)
    assert len({w.line for w in lib.words}) == len({w.line for w in cli.words})
    for a, b in zip(cli.words, lib.words, strict=False):
        if a.text == b.text:
            assert a.box is not None and b.box is not None
            assert abs(a.box.left - b.box.left) <= 3 and abs(a.box.top - b.box.top) <= 3
    assert all(w.confidence is not None and 0 <= w.confidence <= 1 for w in lib.words)
    text = [" ".join(w.text for w in line) for line in lib.lines()]
    assert "FM AMEMBASSY MOSCOW" in text
    # A second page reuses the process's API instance.
    again = recognize(pixels, REF, OcrConfig(psm=6, engine="tesserocr"), 150)
    assert [w.text for w in again.words] == lib_words
