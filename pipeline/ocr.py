"""Stage 2: cleaned page image -> ``OcrPage`` of words, boxes and confidences (Tesseract).

Tesseract always runs single-threaded (``OMP_THREAD_LIMIT=1``): on small machines its
OpenMP threads make it several times slower; pages are parallelized by processes instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytesseract
from PIL import Image

from pipeline.config import OcrConfig
from pipeline.errors import InputError, MissingDependencyError
from pipeline.records import Box, OcrPage, OcrWord, PageRef, ProcessingStep

_INSTALL = "apt-get install tesseract-ocr"


def _single_thread() -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"


def _lang_package(lang: str) -> str:
    return f"apt-get install tesseract-ocr-{lang.lower().replace('_', '-')}"


def installed_languages(tessdata_dir: str | None = None) -> list[str]:
    """Languages Tesseract can use (``tesseract --list-langs``).

    Raises:
        MissingDependencyError: the ``tesseract`` binary is not installed.
    """
    binary = shutil.which(pytesseract.pytesseract.tesseract_cmd)
    if binary is None:
        raise MissingDependencyError(f"tesseract: program not found; install it ({_INSTALL})")
    command = [binary, "--list-langs"]
    if tessdata_dir:
        command[1:1] = ["--tessdata-dir", tessdata_dir]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MissingDependencyError(
            f"tesseract: cannot run {binary} ({exc}); reinstall it ({_INSTALL})"
        ) from exc
    lines = (result.stdout + "\n" + result.stderr).splitlines()
    return [line.strip() for line in lines if line.strip() and " " not in line.strip()]


def check_tesseract(config: OcrConfig) -> None:
    """Check that Tesseract and every language in ``config.lang`` are installed.

    Raises:
        MissingDependencyError: the binary or a language's data is missing (with the fix).
    """
    available = set(installed_languages(config.tessdata_dir))
    for lang in config.lang.split("+"):
        if lang and lang not in available:
            where = f" in {config.tessdata_dir}" if config.tessdata_dir else ""
            raise MissingDependencyError(
                f"tesseract: language data '{lang}' is not installed{where}; "
                f"install it ({_lang_package(lang)}) or choose another --lang"
            )


def tesseract_options(config: OcrConfig, dpi: int) -> str:
    """The command-line options passed to Tesseract for a page."""
    parts = [f"--oem {config.oem}", f"--psm {config.psm}"]
    if dpi > 0:
        parts.append(f"--dpi {dpi}")
    if config.tessdata_dir:
        parts.append(f'--tessdata-dir "{config.tessdata_dir}"')
    variables = dict(config.variables)
    if not config.invert_check:
        variables.setdefault("tessedit_do_invert", "0")
    for key, value in sorted(variables.items()):
        parts.append(f"-c {key}={value}")
    return " ".join(parts)


def _number(value: Any, default: float = -1.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def words_from_tesseract_data(
    data: Mapping[str, Sequence[Any]], ref: PageRef
) -> tuple[OcrWord, ...]:
    """Turn ``image_to_data`` output (``Output.DICT``) into words.

    Keeps word rows (level 5) with a confidence other than -1 and non-blank text.
    ``line`` numbers the distinct (block, paragraph, line) triples page-wide in the order
    Tesseract reports them (its reading order), from 0; ``confidence`` is ``conf / 100``.

    Args:
        data: parallel lists keyed ``level, block_num, par_num, line_num, left, top, width,
            height, conf, text``.
        ref: the page the data belongs to (unused for the words, kept for messages).

    Returns:
        The words in reading order.
    """
    del ref
    count = len(data.get("text", ()))
    lines: dict[tuple[int, int, int], int] = {}
    words: list[OcrWord] = []
    levels = data.get("level")
    for i in range(count):
        if levels is not None and int(levels[i]) != 5:
            continue
        text = str(data["text"][i] or "").strip()
        conf = _number(data["conf"][i])
        if conf < 0 or not text:
            continue
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        line = lines.setdefault(key, len(lines))
        box = Box(
            max(0, int(data["left"][i])),
            max(0, int(data["top"][i])),
            max(0, int(data["width"][i])),
            max(0, int(data["height"][i])),
        )
        words.append(OcrWord(text, min(1.0, conf / 100.0), box, line, key[0]))
    return tuple(words)


def _as_tesseract_image(image: np.ndarray) -> Image.Image:
    """The page as a Pillow image that pytesseract hands over as an uncompressed TIFF.

    pytesseract writes the image to a temporary file: PNG compression of a 10-megapixel
    page takes seconds, an uncompressed TIFF milliseconds (and Leptonica reads it faster
    than PGM). The TIFF carries no resolution, so Tesseract uses ``--dpi`` when given and
    otherwise estimates it, as for an untagged scan (a BMP would claim 96 dpi). BGR pages
    are turned to RGB.
    """
    if image.ndim == 3 and image.shape[2] >= 3:
        image = np.ascontiguousarray(image[:, :, 2::-1])
    picture = Image.fromarray(image)
    picture.format = "TIFF"
    return picture


def _run(call: Any, ref: PageRef, config: OcrConfig) -> Any:
    _single_thread()
    try:
        return call()
    except pytesseract.TesseractNotFoundError as exc:
        msg = f"tesseract: program not found; install it ({_INSTALL})"
        raise MissingDependencyError(msg) from exc
    except pytesseract.TesseractError as exc:
        message = str(exc.message if hasattr(exc, "message") else exc)
        if "traineddata" in message or "language" in message.lower():
            raise MissingDependencyError(
                f"tesseract: language data '{config.lang}' is not installed; "
                f"install it ({_lang_package(config.lang.split('+')[0])})"
            ) from exc
        first = message.strip().splitlines()[0] if message.strip() else "unknown error"
        msg = f"{ref.label()}: Tesseract failed ({first}); check the page image"
        raise InputError(msg) from exc
    except RuntimeError as exc:
        if "timeout" in str(exc).lower():
            raise InputError(
                f"{ref.label()}: Tesseract took longer than {config.timeout:g} s; "
                "raise ocr.timeout or check the page"
            ) from exc
        raise


def recognize(image: np.ndarray, ref: PageRef, config: OcrConfig, dpi: int) -> OcrPage:
    """OCR one page image with a single ``image_to_data`` call.

    Args:
        image: 8-bit grayscale, binary or BGR page.
        ref: which page this is.
        config: Tesseract settings.
        dpi: resolution of the image (passed to Tesseract; 0 lets it guess).

    Returns:
        The page's words; boxes refer to ``image``.

    Raises:
        MissingDependencyError: Tesseract or the language data is missing.
        InputError: Tesseract failed on the page or timed out.
    """
    options = tesseract_options(config, dpi)
    data = _run(
        lambda: pytesseract.image_to_data(
            _as_tesseract_image(image),
            lang=config.lang,
            config=options,
            output_type=pytesseract.Output.DICT,
            timeout=config.timeout or 0,
        ),
        ref,
        config,
    )
    words = words_from_tesseract_data(data, ref)
    height, width = image.shape[:2]
    step = ProcessingStep(
        "ocr",
        f"tesseract {config.lang} psm {config.psm}",
        {"lang": config.lang, "psm": config.psm, "oem": config.oem, "dpi": dpi},
    )
    return OcrPage(ref=ref, words=words, width=width, height=height, dpi=dpi, steps=(step,))


def detect_orientation(image: np.ndarray) -> tuple[int, float] | None:
    """Degrees to rotate clockwise to make the page upright, and Tesseract's confidence.

    Returns ``None`` when orientation detection fails (too little text, no ``osd`` data).
    """
    _single_thread()
    try:
        osd = pytesseract.image_to_osd(
            _as_tesseract_image(image), config="--psm 0", output_type=pytesseract.Output.DICT
        )
    except (pytesseract.TesseractError, pytesseract.TesseractNotFoundError, RuntimeError):
        return None
    return int(osd.get("rotate", 0)), float(osd.get("orientation_conf", 0.0))
