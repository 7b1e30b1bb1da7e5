from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from pipeline.cli import main
from pipeline.config import OcrConfig, PipelineConfig, PreprocessConfig
from pipeline.errors import BadArgumentsError, MissingDependencyError
from pipeline.ingest import PageSpec
from pipeline.read import read_one, read_pages
from pipeline.records import PageRef


def _config(**ocr: object) -> PipelineConfig:
    return PipelineConfig(ocr=dataclasses.replace(OcrConfig(workers=1), **ocr))  # type: ignore[arg-type]


def test_text_transcript_is_one_page(tmp_path: Path) -> None:
    path = tmp_path / "cable.txt"
    path.write_text("\ufeffCONFIDENTIAL\n\nFM AMEMBASSY MOSCOW\nTO  SECSTATE\n", encoding="utf-8")
    pages = read_pages([path], _config())
    assert len(pages) == 1
    words = pages[0].words
    assert [(w.text, w.line) for w in words] == [
        ("CONFIDENTIAL", 0),
        ("FM", 2),
        ("AMEMBASSY", 2),
        ("MOSCOW", 2),
        ("TO", 3),
        ("SECSTATE", 3),
    ]
    assert all(w.box is None and w.confidence is None for w in words)


def test_text_input_needs_no_tesseract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "cable.txt"
    path.write_text("HELLO\n", encoding="utf-8")
    monkeypatch.setenv("PATH", str(tmp_path))
    calls: list[tuple[PageRef, int, int]] = []
    read_pages([path], _config(), lambda ref, done, total: calls.append((ref, done, total)))
    assert calls == [(PageRef(str(path), 1, 0), 1, 1)]


def test_bad_settings_fail_before_reading(
    tmp_path: Path, make_page: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    page = make_page()
    config = dataclasses.replace(_config(), preprocess=PreprocessConfig(steps=("bogus",)))
    with pytest.raises(BadArgumentsError, match="bogus"):
        read_pages([page], config)
    with pytest.raises(MissingDependencyError, match="'xxx'"):
        read_pages([page], _config(lang="xxx"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingDependencyError, match="tesseract"):
        read_pages([page], _config())


@pytest.mark.tesseract
@pytest.mark.usefixtures("needs_tesseract")
def test_blank_page_and_missing_dpi_warn(tmp_path: Path, make_page: Callable[..., Path]) -> None:
    blank = tmp_path / "blank.png"
    Image.new("L", (1275, 1650), 250).save(blank)  # no DPI tag
    text = make_page("text.png", dpi=None)
    blank_page, text_page = read_pages([blank, text], _config())
    assert blank_page.words == ()
    assert any("is blank" in w for w in blank_page.warnings)
    assert any("no DPI in file, assumed 300" in w for w in text_page.warnings)
    assert text_page.dpi == 300 and text_page.words


@pytest.mark.tesseract
@pytest.mark.usefixtures("needs_tesseract")
def test_parallel_pages_come_back_in_input_order(make_page: Callable[..., Path]) -> None:
    paths = [
        make_page(f"p{i}.png", lines=[f"PAGE {i} OF 3", "MOSCOW 04648"], size=(900, 500))
        for i in (1, 2, 3)
    ]
    seen: list[int] = []
    pages = read_pages(paths, _config(workers=2), lambda ref, done, total: seen.append(done))
    assert [p.ref.index for p in pages] == [0, 1, 2]
    assert [" ".join(w.text for w in p.lines()[0]) for p in pages] == [
        "PAGE 1 OF 3",
        "PAGE 2 OF 3",
        "PAGE 3 OF 3",
    ]
    assert sorted(seen) == [1, 2, 3]
    assert pages[0].steps[0].stage == "ingest" and pages[0].steps[-1].stage == "ocr"


@pytest.mark.tesseract
@pytest.mark.usefixtures("needs_tesseract")
@pytest.mark.parametrize("engine", ["cli", "tesserocr"])
def test_each_engine_reads_pages_in_worker_processes(
    make_page: Callable[..., Path], engine: str
) -> None:
    from pipeline.ocr import tesserocr_available

    if engine == "tesserocr" and not tesserocr_available():
        pytest.skip("tesserocr is not installed")
    paths = [
        make_page(f"p{i}.png", lines=[f"PAGE {i} OF 4", "MOSCOW 04648"], size=(900, 500))
        for i in (1, 2, 3, 4)
    ]
    pages = read_pages(paths, _config(workers=2, engine=engine))
    assert [" ".join(w.text for w in p.lines()[0]) for p in pages] == [
        f"PAGE {i} OF 4" for i in (1, 2, 3, 4)
    ]
    assert {p.steps[-1].settings["engine"] for p in pages} == {engine}


@pytest.mark.tesseract
@pytest.mark.usefixtures("needs_tesseract")
def test_read_one_skewed_page(make_page: Callable[..., Path]) -> None:
    path = make_page("skewed.png", angle=4.0)
    page = read_one(PageSpec(PageRef(str(path), 1, 0), "image"), _config())
    lines = [" ".join(w.text for w in line) for line in page.lines()]
    assert "TO SECSTATE WASHDC 2288" in lines
    assert [s.description for s in page.steps if s.stage == "preprocess"] == list(
        PreprocessConfig().steps
    )


# ----------------------------------------------------------------------------- CLI exit codes


def _run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    err = capsys.readouterr().err
    code = info.value.code
    return (code if isinstance(code, int) else 0), err


def _bad_input(folder: Path, kind: str) -> Path:
    path = folder / {"missing": "missing.pdf", "empty": "empty.pdf", "gif": "x.png"}[kind]
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "gif":
        path.write_bytes(b"GIF89a not a supported format")
    return path


@pytest.mark.parametrize(
    ("kind", "phrase"), [("missing", "not found"), ("empty", "empty"), ("gif", "unsupported")]
)
def test_cli_bad_input_one_line_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, phrase: str
) -> None:
    out = tmp_path / "out"
    bad = _bad_input(tmp_path, kind)
    exit_code, err = _run_cli(["transcribe", str(bad), "--out", str(out), "-q"], capsys)
    assert exit_code == 2
    assert err.count("\n") == 1 and phrase in err and str(bad) in err
    assert "Traceback" not in err
    assert not out.exists()


def test_cli_missing_language_exit_3(
    tmp_path: Path, make_page: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, err = _run_cli(
        ["transcribe", str(make_page()), "--lang", "xxx", "--out", str(out), "-q"], capsys
    )
    assert code == 3 and "tesseract-ocr-xxx" in err and err.count("\n") == 1
    assert not out.exists()


def test_low_confidence_page_is_read_again(
    make_page: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    import pipeline.ocr
    from pipeline.records import OcrPage, OcrWord

    def fake_recognize(image: np.ndarray, ref: PageRef, config: OcrConfig, dpi: int) -> OcrPage:
        binary = set(np.unique(image)) <= {0, 255}
        if config.psm == 6:  # the second reading finds more text, less surely
            words = [OcrWord("SECOND", 0.6, None, 0), OcrWord("READING", 0.6, None, 0)]
        else:
            words = [OcrWord("FIRST", 0.5 if binary else 0.9, None, 0)]
        return OcrPage(ref=ref, words=tuple(words))

    monkeypatch.setattr(pipeline.ocr, "recognize", fake_recognize)
    spec = PageSpec(PageRef(str(make_page()), 1, 0), "image")
    otsu = PreprocessConfig(steps=("grayscale", "otsu"))
    base = dataclasses.replace(_config(retry_below=0.0, retry_psm=6), preprocess=otsu)
    assert [w.text for w in read_one(spec, base).words] == ["FIRST"]
    retry = dataclasses.replace(base, ocr=dataclasses.replace(base.ocr, retry_below=0.8))
    page = read_one(spec, retry)
    assert [w.text for w in page.words] == ["SECOND", "READING"]
    assert page.steps[-1].settings["kept"] == "second"
    assert "read again (rules, psm 6)" in page.steps[-1].description
    sure = dataclasses.replace(retry, preprocess=PreprocessConfig(steps=("grayscale",)))
    assert [w.text for w in read_one(spec, sure).words] == ["FIRST"]  # 0.9: no retry
    # No retry steps and the same page mode: a second reading would repeat the first.
    same = dataclasses.replace(
        retry, ocr=dataclasses.replace(retry.ocr, retry_steps=(), retry_psm=0)
    )
    calls: list[int] = []
    monkeypatch.setattr(pipeline.ocr, "recognize", lambda *a: calls.append(1) or fake_recognize(*a))
    page = read_one(spec, same)
    assert calls == [1] and not any("read again" in s.description for s in page.steps)


def test_unknown_retry_step_fails_before_reading(make_page: Callable[..., Path]) -> None:
    with pytest.raises(BadArgumentsError, match="sharpen"):
        read_pages([make_page()], _config(retry_steps=("sharpen",)))


@pytest.mark.tesseract
@pytest.mark.usefixtures("needs_tesseract")
@pytest.mark.parametrize("turns", [1, 2, 3])
def test_orientation_turns_page_upright(make_page: Callable[..., Path], turns: int) -> None:
    import numpy as np

    from pipeline.preprocess import orientation

    upright = np.asarray(Image.open(make_page(size=(1275, 1100))))
    turned = np.ascontiguousarray(np.rot90(upright, turns))
    assert np.array_equal(orientation(turned, min_confidence=1.0), upright)


@pytest.mark.tesseract
@pytest.mark.usefixtures("needs_tesseract")
def test_pdf_page_is_rasterized_and_read(tmp_path: Path, make_page: Callable[..., Path]) -> None:
    pdf = tmp_path / "cable.pdf"
    Image.open(make_page()).save(pdf, resolution=150)
    config = dataclasses.replace(_config(), ingest=dataclasses.replace(_config().ingest, dpi=150))
    (page,) = read_pages([pdf], config)
    assert page.dpi == 150 and (page.width, page.height) == (1275, 1650)
    assert page.warnings == ()
    assert "FM AMEMBASSY MOSCOW" in [" ".join(w.text for w in line) for line in page.lines()]
