from __future__ import annotations

import numpy as np
import pytest
from conftest import CABLE_LINES, draw_page

from pipeline.config import PreprocessConfig
from pipeline.errors import BadArgumentsError
from pipeline.preprocess import (
    DEFAULT_PARAMS,
    STEPS,
    background,
    border,
    deskew,
    find_skew,
    is_blank,
    otsu,
    paper_level,
    preprocess_page,
    rules,
    sauvola,
)


def _page(angle: float = 0.0, **options: object) -> np.ndarray:
    return np.asarray(draw_page(CABLE_LINES, angle=angle, **options))  # type: ignore[arg-type]


def test_every_step_has_defaults_and_keeps_size() -> None:
    assert set(STEPS) == set(DEFAULT_PARAMS)
    page = _page()
    color = np.dstack([page, page, page])
    for name, step in STEPS.items():
        if name in ("orientation", "nlmeans"):
            continue  # orientation runs Tesseract; nlmeans is slow (covered below on a crop)
        out = step(color, **DEFAULT_PARAMS[name])
        assert out.shape[:2] == page.shape and out.dtype == np.uint8, name
    crop = page[:200, :300]
    assert STEPS["nlmeans"](crop, **DEFAULT_PARAMS["nlmeans"]).shape == crop.shape


def test_binarizations_are_two_level_and_keep_text() -> None:
    page = _page()
    for binary in (otsu(page), sauvola(page)):
        assert set(np.unique(binary)) <= {0, 255}
        ink = binary < 128
        assert 0.005 < ink.mean() < 0.2


def test_sauvola_survives_uneven_lighting() -> None:
    page = _page().astype(np.float32)
    shade = np.linspace(0.35, 1.0, page.shape[1], dtype=np.float32)[None, :]
    dim = (page * shade).astype(np.uint8)  # paper falls from 245 to ~86 across the page
    left_text = (page[:, :400] < 128).mean()
    local = sauvola(dim)[:, :400] < 128
    global_ = otsu(dim)[:, :400] < 128
    assert abs(local.mean() - left_text) < 0.02  # text stays text, paper stays paper
    assert global_.mean() > 0.5  # one global threshold blackens the dark side


@pytest.mark.parametrize("angle", [3.0, -5.0, 8.5])
def test_find_skew_recovers_angle(angle: float) -> None:
    assert find_skew(_page(angle)) == pytest.approx(angle, abs=0.2)


def test_deskew_straightens_page() -> None:
    straight = deskew(_page(4.0))
    assert abs(find_skew(straight)) < 0.2


def test_deskew_leaves_small_angles_alone() -> None:
    slight = _page(0.5)
    assert deskew(slight) is slight  # Tesseract copes with it; rotating only resamples
    assert deskew(slight, min_angle=0.3) is not slight


def test_blank_page_is_not_rotated() -> None:
    blank = np.full((1000, 800), 240, np.uint8)
    noisy = (blank + np.random.default_rng(1).normal(0, 3, blank.shape)).astype(np.uint8)
    assert find_skew(noisy) == 0.0
    assert deskew(noisy) is noisy
    assert is_blank(noisy) and not is_blank(_page())


def test_border_whitens_dark_scanner_frame() -> None:
    page = _page()
    framed = page.copy()
    framed[:40] = 0
    framed[:, -60:] = 10
    cleaned = border(framed)
    assert cleaned[:40].min() == 255 and cleaned[:, -60:].min() == 255
    inner = slice(100, -100)
    assert np.array_equal(cleaned[inner, inner], page[inner, inner])  # text untouched
    assert np.array_equal(border(page), page)


def test_rules_whitens_long_lines_and_keeps_text() -> None:
    page = _page()
    ruled = page.copy()
    ruled[:, 50:54] = 20  # a margin rule from top to bottom
    ruled[-80:-77, :] = 20  # a horizontal rule
    cleaned = rules(ruled)
    assert cleaned[:, 50:54].min() == 255  # vertical rule gone
    assert cleaned[-80:-77, 100:-100].max() < 128  # horizontal rules only when asked
    assert rules(ruled, horizontal=0.5)[-80:-77, 100:-100].min() == 255
    text = page < 128
    assert np.array_equal(cleaned[text], page[text])  # no glyph is that tall
    assert np.array_equal(rules(page), page)


def test_paper_level_ignores_ink() -> None:
    assert paper_level(_page(paper=245)) == pytest.approx(245, abs=3)
    assert paper_level(_page(paper=180, ink=60)) == pytest.approx(180, abs=3)


def test_background_whitens_dark_uneven_paper_and_keeps_text() -> None:
    page = _page(paper=245)
    shade = np.linspace(0.6, 0.9, page.shape[1], dtype=np.float32)[None, :]
    dim = (page.astype(np.float32) * shade).astype(np.uint8)  # paper ~147 -> ~220
    flat = background(dim)
    assert flat.shape == dim.shape and flat.dtype == np.uint8
    text = page < 128
    paper = page > 200
    assert np.median(flat[paper]) >= 250  # paper white on both sides
    assert abs(float(np.median(flat[:, :300][paper[:, :300]])) - 255) < 6
    assert np.median(flat[text]) < 120  # ink stays dark
    assert otsu(flat)[text].mean() < 64 and otsu(flat)[paper].mean() > 250


def test_background_leaves_white_paper_alone() -> None:
    page = _page(paper=245)
    assert background(page) is page
    assert background(page, max_paper=256.0) is not page


def test_preprocess_page_records_steps_and_overrides() -> None:
    config = PreprocessConfig(
        steps=("grayscale", "median", "otsu"), params={"median": {"ksize": 5}}
    )
    image, steps = preprocess_page(_page(), config)
    assert [s.description for s in steps] == ["grayscale", "median", "otsu"]
    assert steps[1].settings == {"ksize": 5}
    assert all(s.stage == "preprocess" for s in steps)
    assert set(np.unique(image)) <= {0, 255}


def test_unknown_step_or_param_lists_valid_ones() -> None:
    with pytest.raises(BadArgumentsError, match="valid steps: grayscale, median"):
        preprocess_page(_page(), PreprocessConfig(steps=("grayscale", "sharpen")))
    with pytest.raises(BadArgumentsError, match="valid: ksize"):
        preprocess_page(_page(), PreprocessConfig(steps=("median",), params={"median": {"k": 3}}))
