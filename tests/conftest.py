"""Shared fixtures: synthetic typewritten pages and Tesseract availability."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

MONO_FONT = Path("/usr/share/fonts/opentype/urw-base35/NimbusMonoPS-Regular.otf")

CABLE_LINES = (
    "CONFIDENTIAL",
    "PAGE 01 MOSCOW 04648 01 OF 02 151230Z",
    "ACTION EUR-12",
    "R 151200Z APR 75",
    "FM AMEMBASSY MOSCOW",
    "TO SECSTATE WASHDC 2288",
    "SUBJECT: SOVIET GRAIN PURCHASES",
    "1. EMBASSY OFFICERS MET WITH MINISTRY OFFICIALS",
    "TODAY TO DISCUSS THE HARVEST OUTLOOK AND THE",
    "TERMS OF THE PROPOSED AGREEMENT ON DELIVERIES.",
    "2. THE MINISTRY EXPECTS A RECORD CROP THIS YEAR",
    "BUT ASKED FOR CLARIFICATION OF SHIPPING DATES.",
    "STOESSEL",
)
"""Cable-like lines used for synthetic pages."""


def draw_page(
    lines: Sequence[str] = CABLE_LINES,
    *,
    size: tuple[int, int] = (1275, 1650),
    font_px: int = 34,
    angle: float = 0.0,
    ink: int = 20,
    paper: int = 245,
    margin: int = 100,
) -> object:
    """A grayscale Pillow page of monospaced text (150 dpi letter by default)."""
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("L", size, paper)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(MONO_FONT), font_px)
    y = margin
    for line in lines:
        draw.text((margin, y), line, fill=ink, font=font)
        y += int(font_px * 1.6)
    if angle:
        page = page.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=paper)
    return page


@pytest.fixture
def make_page(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``make_page(name, lines=..., dpi=150, angle=0.0, **draw_options)`` -> path."""

    def make(
        name: str = "page.png",
        lines: Sequence[str] = CABLE_LINES,
        dpi: int | None = 150,
        **options: object,
    ) -> Path:
        page = draw_page(lines, **options)  # type: ignore[arg-type]
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        save = {"dpi": (dpi, dpi)} if dpi else {}
        page.save(path, **save)  # type: ignore[attr-defined]
        return path

    return make


@pytest.fixture
def needs_tesseract() -> None:
    """Skip the test when the Tesseract binary is not installed."""
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed")


@pytest.fixture(autouse=True, scope="session")
def _private_user_folders(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the tests' caches and review-learned word lists out of the user's home."""
    import os

    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    os.environ.setdefault("CABLE_OCR_HOME", str(tmp_path_factory.mktemp("cable-ocr-home")))
