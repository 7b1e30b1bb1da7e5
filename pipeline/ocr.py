"""Stage 2: cleaned page image -> ``OcrPage`` of words, boxes and confidences (Tesseract).

Tesseract always runs single-threaded (``OMP_THREAD_LIMIT=1``): on small machines its
OpenMP threads make it several times slower; pages are parallelized by processes instead.

Two engines give the same records (``OcrConfig.engine``):

- ``cli``: pytesseract's ``image_to_data`` starts the ``tesseract`` program for every page
  and hands the page over as an uncompressed TIFF.
- ``tesserocr``: the Tesseract library of the ``tesserocr`` package runs inside the worker
  process; one ``PyTessBaseAPI`` per (language, OEM, tessdata folder) is created on the
  first page and reused, so the model is loaded once per process, not once per page. It
  reads the language data of the system package (the folder ``tesseract --list-langs``
  names). The page's pixels are passed without a resolution tag, as the TIFF is, so an
  unknown DPI is estimated the same way. A timeout stops recognition cooperatively
  (Tesseract checks the deadline between words, so layout analysis may overrun it)
  instead of killing a process.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytesseract
from PIL import Image

from pipeline.config import OcrConfig
from pipeline.errors import InputError, MissingDependencyError
from pipeline.layout import add_dash_rows, drop_fragments, read_rows_across_blocks
from pipeline.records import Box, OcrPage, OcrWord, PageRef, ProcessingStep

_INSTALL = "apt-get install tesseract-ocr"
_PIP = "pip install tesserocr"
_KNOWN_TESSDATA = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
)

WordRow = tuple[str, float, tuple[int, int, int, int], bool, bool, bool]
"""A word from Tesseract's result iterator: text, confidence (0-100), box
(left, top, right, bottom), and whether it starts a block, a paragraph, a text line."""


def _single_thread() -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"


def _lang_package(lang: str) -> str:
    return f"apt-get install tesseract-ocr-{lang.lower().replace('_', '-')}"


@functools.lru_cache(maxsize=8)
def _list_langs(binary: str, tessdata_dir: str | None) -> str:
    """Output (stdout and stderr) of ``tesseract [--tessdata-dir DIR] --list-langs``.

    Raises:
        OSError, subprocess.TimeoutExpired: the program cannot be run.
    """
    command = [binary, "--list-langs"]
    if tessdata_dir:
        command[1:1] = ["--tessdata-dir", tessdata_dir]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    return result.stdout + "\n" + result.stderr


def installed_languages(tessdata_dir: str | None = None) -> list[str]:
    """Languages Tesseract can use (``tesseract --list-langs``).

    Raises:
        MissingDependencyError: the ``tesseract`` binary is not installed.
    """
    binary = shutil.which(pytesseract.pytesseract.tesseract_cmd)
    if binary is None:
        raise MissingDependencyError(f"tesseract: program not found; install it ({_INSTALL})")
    try:
        listing = _list_langs(binary, tessdata_dir)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MissingDependencyError(
            f"tesseract: cannot run {binary} ({exc}); reinstall it ({_INSTALL})"
        ) from exc
    lines = listing.splitlines()
    return [line.strip() for line in lines if line.strip() and " " not in line.strip()]


def check_tesseract(config: OcrConfig) -> None:
    """Check that Tesseract and every language in ``config.lang`` are installed.

    The ``tesseract`` program is required with either engine (orientation detection and
    the ``cli`` fallback use it); with the ``tesserocr`` engine the languages are looked up
    in the folder that engine reads.

    Raises:
        MissingDependencyError: the binary, a language's data or (``engine = "tesserocr"``)
            the tesserocr package is missing (with the fix).
    """
    available = set(installed_languages(config.tessdata_dir))
    where = f" in {config.tessdata_dir}" if config.tessdata_dir else ""
    if resolve_engine(config) == "tesserocr":
        tessdata = tessdata_path(config.tessdata_dir)
        available = set(_tesserocr_languages(tessdata)) if tessdata else set()
        where = f" in {tessdata}" if tessdata else where
    for lang in config.lang.split("+"):
        if lang and lang not in available:
            raise MissingDependencyError(
                f"tesseract: language data '{lang}' is not installed{where}; "
                f"install it ({_lang_package(lang)}) or choose another --lang"
            )


def _parse_tessdata(listing: str) -> str | None:
    """The folder named in ``tesseract --list-langs`` output, if any."""
    for line in listing.splitlines():
        if line.startswith("List of available languages") and '"' in line:
            folder = line.split('"')[1]
            return folder or None
    return None


@functools.lru_cache(maxsize=8)
def tessdata_path(tessdata_dir: str | None = None) -> str | None:
    """The folder of ``*.traineddata`` the ``tesserocr`` engine reads, ending in ``/``.

    ``tessdata_dir`` when given; else ``TESSDATA_PREFIX``; else the folder the installed
    ``tesseract`` program reports; else the first Debian/Ubuntu default that exists.
    ``None`` when none is found.
    """
    candidates: list[str] = []
    if tessdata_dir:
        candidates.append(tessdata_dir)
    else:
        if os.environ.get("TESSDATA_PREFIX"):
            candidates.append(os.environ["TESSDATA_PREFIX"])
        binary = shutil.which(pytesseract.pytesseract.tesseract_cmd)
        if binary is not None:
            try:
                found = _parse_tessdata(_list_langs(binary, None))
            except (OSError, subprocess.TimeoutExpired):
                found = None
            if found:
                candidates.append(found)
        candidates += _KNOWN_TESSDATA
    for folder in candidates:
        if Path(folder).is_dir():
            return folder.rstrip("/") + "/"
    return None


def _tesserocr() -> Any:
    """The ``tesserocr`` module (imported by name: it ships no type information).

    Raises:
        ImportError: the package is not installed.
    """
    return importlib.import_module("tesserocr")


def tesserocr_available() -> bool:
    """Whether the ``tesserocr`` package can be imported."""
    try:
        _tesserocr()
    except ImportError:
        return False
    return True


def _tesserocr_languages(tessdata: str) -> list[str]:
    return [str(lang) for lang in _tesserocr().get_languages(tessdata)[1]]


_AUTO: dict[tuple[str, int, str | None], str] = {}
"""The engine ``auto`` chose in this process, by (lang, oem, tessdata_dir)."""


def resolve_engine(config: OcrConfig) -> str:
    """The engine ``config`` runs with: ``"tesserocr"`` or ``"cli"``.

    ``auto`` gives ``tesserocr`` when the package imports, its language data folder is
    found, it holds every language of ``config.lang`` and the API has not failed to start
    in this process; ``cli`` otherwise. The choice is kept for the life of the process.

    Raises:
        MissingDependencyError: ``engine = "tesserocr"`` but the package is not installed.
    """
    if config.engine == "cli":
        return "cli"
    if config.engine == "tesserocr":
        if not tesserocr_available():
            raise MissingDependencyError(
                f"tesserocr: package not installed; install it ({_PIP}) or use engine = cli"
            )
        return "tesserocr"
    key = (config.lang, config.oem, config.tessdata_dir)
    if key not in _AUTO:
        tessdata = tessdata_path(config.tessdata_dir) if tesserocr_available() else None
        available = set(_tesserocr_languages(tessdata)) if tessdata else set()
        usable = all(not lang or lang in available for lang in config.lang.split("+"))
        _AUTO[key] = "tesserocr" if tessdata and usable else "cli"
    return _AUTO[key]


def tesseract_options(config: OcrConfig, dpi: int) -> str:
    """The command-line options passed to Tesseract for a page."""
    parts = [f"--oem {config.oem}", f"--psm {config.psm}"]
    if dpi > 0:
        parts.append(f"--dpi {dpi}")
    if config.tessdata_dir:
        parts.append(f'--tessdata-dir "{config.tessdata_dir}"')
    for key, value in sorted(tesseract_variables(config).items()):
        parts.append(f"-c {shlex.quote(f'{key}={value}')}")
    return " ".join(parts)


def tesseract_variables(config: OcrConfig) -> dict[str, str]:
    """Tesseract variables for a page: ``config.variables`` over the defaults they set.

    ``invert_check`` off sets ``tessedit_do_invert=0``; ``char_blacklist`` sets
    ``tessedit_char_blacklist``.
    """
    variables = dict(config.variables)
    if not config.invert_check:
        variables.setdefault("tessedit_do_invert", "0")
    if config.char_blacklist:
        variables.setdefault("tessedit_char_blacklist", config.char_blacklist)
    return variables


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


_ALNUM = re.compile(r"[^\W_]")
_DASHES = re.compile("-+")


def drop_noise(words: Sequence[OcrWord], below: float, line_chars: int) -> tuple[OcrWord, ...]:
    """Drop what Tesseract read into specks, stamps and pen strokes.

    A word without any letter or digit whose confidence is under ``below`` goes, except a
    run of hyphens (``--``, the typewriter's dash, whose confidence Tesseract underrates; a
    stroke read as one is judged by its shape in the structure stage), then a line with
    at most ``line_chars`` letters and digits whose mean word confidence is under
    ``below``. Lines are numbered again from 0 without gaps. ``below`` 0 keeps all.
    """
    if below <= 0:
        return tuple(words)
    kept = [
        w
        for w in words
        if _ALNUM.search(w.text) or _DASHES.fullmatch(w.text) or (w.confidence or 0.0) >= below
    ]
    lines: dict[int, list[OcrWord]] = {}
    for word in kept:
        lines.setdefault(word.line, []).append(word)
    numbers: dict[int, int] = {}  # old line number -> new one, for the lines that stay
    for number, line in sorted(lines.items()):
        chars = sum(len(_ALNUM.findall(w.text)) for w in line)
        mean = sum(w.confidence or 0.0 for w in line) / len(line)
        if chars > line_chars or mean >= below:
            numbers[number] = len(numbers)
    return tuple(dataclasses.replace(w, line=numbers[w.line]) for w in kept if w.line in numbers)


def data_from_word_rows(rows: Iterable[WordRow]) -> dict[str, list[Any]]:
    """Turn words from Tesseract's result iterator into ``image_to_data`` columns.

    Numbers blocks, paragraphs and lines as Tesseract's TSV output does (blocks from 1
    page-wide, paragraphs from 1 within a block, lines from 1 within a paragraph), so that
    ``words_from_tesseract_data`` gives the same records for both engines.

    Args:
        rows: the page's non-empty words in reading order.

    Returns:
        Parallel lists keyed ``level, block_num, par_num, line_num, left, top, width,
        height, conf, text`` (every row a word, level 5).
    """
    keys = ("level", "block_num", "par_num", "line_num", "left", "top", "width", "height")
    data: dict[str, list[Any]] = {key: [] for key in (*keys, "conf", "text")}
    block = par = line = 0
    for text, conf, (left, top, right, bottom), new_block, new_par, new_line in rows:
        if new_block:
            block, par, line = block + 1, 0, 0
        if new_par:
            par, line = par + 1, 0
        if new_line:
            line += 1
        values = (5, block, par, line, left, top, right - left, bottom - top, conf, text)
        for key, value in zip((*keys, "conf", "text"), values, strict=True):
            data[key].append(value)
    return data


def _rgb(image: np.ndarray) -> np.ndarray:
    """A BGR page as contiguous RGB (alpha dropped); a grayscale page as it is."""
    if image.ndim == 3 and image.shape[2] >= 3:
        return np.ascontiguousarray(image[:, :, 2::-1])
    return np.ascontiguousarray(image)


def _as_tesseract_image(image: np.ndarray) -> Image.Image:
    """The page as a Pillow image that pytesseract hands over as an uncompressed TIFF.

    pytesseract writes the image to a temporary file: PNG compression of a 10-megapixel
    page takes seconds, an uncompressed TIFF milliseconds (and Leptonica reads it faster
    than PGM). The TIFF carries no resolution, so Tesseract uses ``--dpi`` when given and
    otherwise estimates it, as for an untagged scan (a BMP would claim 96 dpi). BGR pages
    are turned to RGB.
    """
    picture = Image.fromarray(_rgb(image))
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


def _recognize_cli(image: np.ndarray, ref: PageRef, config: OcrConfig, dpi: int) -> Any:
    options = tesseract_options(config, dpi)
    return _run(
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


class _Engine:
    """A ``PyTessBaseAPI`` kept for the life of the process, with the settings it has."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self.defaults: dict[str, str] = {}
        """Original values of the variables set so far, to restore them for other configs."""

    def configure(self, variables: Mapping[str, str]) -> None:
        """Set ``variables`` and put back the defaults of variables set for an earlier page.

        A name Tesseract does not know is skipped, as the ``tesseract`` program skips an
        unknown ``-c`` setting (it only prints a warning).
        """
        for name, value in self.defaults.items():
            if name not in variables:
                self.api.SetVariable(name, value)
        for name, value in variables.items():
            if name not in self.defaults:
                old = self.api.GetVariableAsString(name)
                if old is None:
                    continue
                self.defaults[name] = old
            self.api.SetVariable(name, value)


_ENGINES: dict[tuple[str, int, str], _Engine] = {}
"""One Tesseract API per (lang, oem, tessdata folder) in this process."""


def _tesserocr_engine(config: OcrConfig) -> _Engine:
    """The process's API for ``config``, created on first use.

    Raises:
        MissingDependencyError: the package, the data folder or a language's data is
            missing, or the API cannot start with it.
    """
    tessdata = tessdata_path(config.tessdata_dir)
    if tessdata is None:
        raise MissingDependencyError(
            f"tesseract: language data folder not found; install it ({_INSTALL})"
        )
    key = (config.lang, config.oem, tessdata)
    engine = _ENGINES.get(key)
    if engine is not None:
        return engine
    _single_thread()
    try:
        tesserocr = _tesserocr()
    except ImportError as exc:
        raise MissingDependencyError(
            f"tesserocr: package not installed; install it ({_PIP}) or use engine = cli"
        ) from exc
    available = set(_tesserocr_languages(tessdata))
    for lang in config.lang.split("+"):
        if lang and lang not in available:
            raise MissingDependencyError(
                f"tesseract: language data '{lang}' is not installed in {tessdata}; "
                f"install it ({_lang_package(lang)}) or choose another --lang"
            )
    try:
        api = tesserocr.PyTessBaseAPI(path=tessdata, lang=config.lang, oem=config.oem)
    except (RuntimeError, ValueError) as exc:
        raise MissingDependencyError(
            f"tesseract: cannot load language data '{config.lang}' from {tessdata} ({exc}); "
            f"reinstall it ({_lang_package(config.lang.split('+')[0])})"
        ) from exc
    engine = _Engine(api)
    _ENGINES[key] = engine
    return engine


def _box(values: Sequence[Any]) -> tuple[int, int, int, int]:
    left, top, right, bottom = (int(v) for v in values)
    return left, top, right, bottom


def _word_rows(api: Any) -> list[WordRow]:
    """The recognized words in reading order, skipping empty ones as the TSV output does."""
    ril = _tesserocr().RIL

    iterator = api.GetIterator()
    rows: list[WordRow] = []
    if iterator is None:
        return rows
    while not iterator.Empty(ril.BLOCK):
        if not iterator.Empty(ril.WORD):
            rows.append(
                (
                    iterator.GetUTF8Text(ril.WORD) or "",
                    float(iterator.Confidence(ril.WORD)),
                    _box(iterator.BoundingBox(ril.WORD)),
                    bool(iterator.IsAtBeginningOf(ril.BLOCK)),
                    bool(iterator.IsAtBeginningOf(ril.PARA)),
                    bool(iterator.IsAtBeginningOf(ril.TEXTLINE)),
                )
            )
        if not iterator.Next(ril.WORD):
            break
    return rows


def _recognize_tesserocr(
    image: np.ndarray, ref: PageRef, config: OcrConfig, dpi: int
) -> dict[str, list[Any]]:
    engine = _tesserocr_engine(config)
    api = engine.api
    variables = tesseract_variables(config)
    # The CLI's --dpi sets the same variable; 0 lets Tesseract estimate the resolution.
    variables["user_defined_dpi"] = str(dpi) if dpi > 0 else "0"
    engine.configure(variables)
    api.SetPageSegMode(config.psm)
    pixels = _rgb(image)
    if pixels.dtype != np.uint8:
        raise InputError(f"{ref.label()}: page image is {pixels.dtype}, expected 8-bit")
    height, width = pixels.shape[:2]
    depth = 1 if pixels.ndim == 2 else pixels.shape[2]
    try:
        api.SetImageBytes(pixels.tobytes(), width, height, depth, width * depth)
        finished = api.Recognize(int(round(config.timeout * 1000)) if config.timeout else 0)
        if not finished:
            if config.timeout:
                raise InputError(
                    f"{ref.label()}: Tesseract took longer than {config.timeout:g} s; "
                    "raise ocr.timeout or check the page"
                )
            raise InputError(f"{ref.label()}: Tesseract failed; check the page image")
        return data_from_word_rows(_word_rows(api))
    finally:
        api.Clear()


def recognize(image: np.ndarray, ref: PageRef, config: OcrConfig, dpi: int) -> OcrPage:
    """OCR one page image with the engine ``config.engine`` selects.

    Tesseract's words then lose specks (``drop_noise``) and, in ``pipeline.layout``, garbage
    read beside typed lines; side-by-side blocks on shared baselines are read row by row and
    rows of typed dashes it missed are added.

    Args:
        image: 8-bit grayscale, binary or BGR page.
        ref: which page this is.
        config: Tesseract settings.
        dpi: resolution of the image (passed to Tesseract; 0 lets it guess).

    Returns:
        The page's words; boxes refer to ``image``.

    Raises:
        MissingDependencyError: Tesseract, the language data or the chosen engine's
            package is missing.
        InputError: Tesseract failed on the page or timed out.
    """
    engine = resolve_engine(config)
    if engine == "tesserocr":
        try:
            data: Any = _recognize_tesserocr(image, ref, config, dpi)
        except MissingDependencyError:
            if config.engine != "auto":
                raise
            _AUTO[(config.lang, config.oem, config.tessdata_dir)] = "cli"
            engine = "cli"
    if engine == "cli":
        data = _recognize_cli(image, ref, config, dpi)
    words = drop_noise(
        words_from_tesseract_data(data, ref), config.noise_below, config.noise_line_chars
    )
    words = drop_fragments(words, config.fragment_below)
    words = read_rows_across_blocks(words, config.rows_aligned)
    words = add_dash_rows(image, words, config.dash_rows)
    height, width = image.shape[:2]
    step = ProcessingStep(
        "ocr",
        f"tesseract {config.lang} psm {config.psm} ({engine})",
        {"lang": config.lang, "psm": config.psm, "oem": config.oem, "dpi": dpi, "engine": engine},
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
