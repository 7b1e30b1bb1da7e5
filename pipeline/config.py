"""One immutable configuration, one sub-configuration per stage, loadable from TOML.

A stage receives only its own sub-configuration. Defaults live here, not in the CLI; the
CLI and ``load_config`` override fields with ``dataclasses.replace``.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import BadArgumentsError

# Chosen by measurement: scripts/benchmark_ocr.py --candidates (README "Preprocessing").
# Deskewing the grayscale page is what helps most: pooled CER on the 23 InkBench typewritten
# pages 0.230 -> 0.163 (raw tesseract psm 3 -> grayscale + deskew, psm 3), and 0.079 -> 0.015
# on the 19 rendered MOSCOW 04648 pages. Deskew now skips angles under 0.8 degrees and
# "background" divides pages with dark paper by their paper estimate (see both steps):
# InkBench 0.230 -> 0.156 (ratio 0.68), no page more than 0.6 points worse than raw.
# Every binarization tried (Otsu, Sauvola, with median or Gaussian denoising) and border
# cleaning scored worse than letting Tesseract threshold the grayscale image itself, and
# cost time. Rescaling pages to a common text height (capitals 26-40 px, estimated from
# connected components) was no reliable gain: single pages moved by up to 20 CER points
# either way through Tesseract's layout analysis. Telling Tesseract --dpi 300 for untagged
# scans was worse (0.221) than letting it estimate the resolution.
DEFAULT_PREPROCESS_STEPS: tuple[str, ...] = ("grayscale", "deskew", "background")
"""Chosen by ``scripts/benchmark_ocr.py``; see README "Preprocessing"."""


@dataclass(frozen=True, slots=True)
class IngestConfig:
    """How inputs become page images.

    Attributes:
        dpi: resolution for rasterizing PDFs, and assumed for images without a DPI tag.
        first_page: first PDF/TIFF page to read (1-based), ``None`` for the first.
        last_page: last PDF/TIFF page to read (inclusive), ``None`` for the last.
        max_megapixels: refuse images larger than this (decompression-bomb guard).
    """

    dpi: int = 300
    first_page: int | None = None
    last_page: int | None = None
    max_megapixels: float = 100.0


@dataclass(frozen=True, slots=True)
class PreprocessConfig:
    """Image clean-up before OCR.

    Attributes:
        steps: names of the steps to run, in order (see ``pipeline.preprocess.STEPS``).
        params: per-step parameter overrides, e.g. ``{"median": {"ksize": 3}}``.
    """

    steps: tuple[str, ...] = DEFAULT_PREPROCESS_STEPS
    params: dict[str, dict[str, Any]] = field(default_factory=dict)


TYPEWRITER_BLACKLIST = "«»|\\{}~<>™®©¥£€§¬¦•é—–"
"""Default ``OcrConfig.char_blacklist``: characters absent from English typewriter keyboards."""

OCR_ENGINES: tuple[str, ...] = ("auto", "tesserocr", "cli")
"""Values of ``OcrConfig.engine``."""


@dataclass(frozen=True, slots=True)
class OcrConfig:
    """Tesseract settings.

    Attributes:
        lang: Tesseract language(s), e.g. ``eng`` or ``eng+fra``.
        psm: page segmentation mode (``tesseract --help-psm``).
        oem: OCR engine mode (1 = LSTM only).
        workers: pages recognized in parallel (processes); 0 = number of cores.
        timeout: seconds allowed per page before Tesseract is stopped (0 = no limit).
        tessdata_dir: folder of ``*.traineddata``; ``None`` uses Tesseract's default.
        variables: extra Tesseract ``-c name=value`` settings.
        retry_below: when the mean word confidence (0-1) of a page is below this, the page
            is read a second time, from the cleaned image with ``retry_steps`` applied and
            with page segmentation mode ``retry_psm``, and the reading with more confident
            characters (sum of word length x confidence) is kept; 0 = never retry.
        retry_steps: preprocessing steps (``pipeline.preprocess.STEPS``, parameters from
            ``PreprocessConfig.params``) applied to the cleaned page for the second reading.
        retry_psm: page segmentation mode of the second reading; 0 = ``psm``.
        noise_below: confidence (0-1) under which a word without any letter or digit, and a
            line with at most ``noise_line_chars`` letters and digits (by its mean word
            confidence), are taken for specks, stamps or strokes and dropped; 0 = keep all.
        noise_line_chars: see ``noise_below``.
        fragment_below: mean confidence under which a run of words set apart on its line (a
            gap of over three word heights) is taken for handwriting or a stamp read into
            garbage and dropped, when the rest of the line stays; 0 = keep all
            (``pipeline.layout.drop_fragments``).
        char_blacklist: characters Tesseract may not output (``tessedit_char_blacklist``):
            glyphs a typewriter or teleprinter cannot type, which it otherwise reads into
            specks and smudged letters (``¥`` for ``F``); empty = any character.
        rows_aligned: side-by-side blocks (a letterhead, a typed table) are read row by row
            when at least this share of their lines beside another block sit on the same
            baseline as a line of it, and no such line runs on (ends in a comma, semicolon or
            hyphen); columns of running text keep Tesseract's order; 0 = never
            (``pipeline.layout.read_rows_across_blocks``).
        dash_rows: rows of at least this many typed hyphens that Tesseract did not read
            (separator lines, the dashes of a serial) are found in the image and added as
            words of hyphens; 0 = off (``pipeline.layout.add_dash_rows``).
        invert_check: let Tesseract also try every low-confidence line as white-on-black
            text (``tessedit_do_invert``). Typed pages have no inverted text; switching it
            off saves about 2 % of the OCR time at the same CER on InkBench.
        engine: how Tesseract is run: ``cli`` starts the ``tesseract`` program for every
            page (pytesseract); ``tesserocr`` keeps the Tesseract library loaded in each
            worker process (the ``tesserocr`` package); ``auto`` uses ``tesserocr`` when it
            is installed and has the language data, else ``cli``. On InkBench and the
            sample both give the same CER within 0.03 points, ``tesserocr`` in about 25 %
            less CPU time (``scripts/benchmark_ocr.py``).
    """

    lang: str = "eng"
    psm: int = 3  # beat psm 4 and 6 after deskew on InkBench and on the rendered sample
    oem: int = 1
    workers: int = 0
    timeout: float = 0.0
    tessdata_dir: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    # Measured with scripts/benchmark_ocr.py on InkBench (tesserocr engine, psm 3): page CER
    # 15.6 % -> 13.95 %, ratio to raw tesseract 0.68 -> 0.61 (odd-indexed pages 0.64 -> 0.56,
    # even-indexed 0.78 -> 0.75). The retry reads 6 of 23 pages again (+0.12 x raw CPU time)
    # and keeps the rules-cleaned reading on 3 (CER 15.1 % without it); psm 6 as the second
    # reading gave 14.2 %, unsharp masking, plain grayscale or horizontal rule removal less.
    # Without the noise filter 14.3 %, without the blacklist 14.0 %.
    retry_below: float = 0.85
    retry_steps: tuple[str, ...] = ("rules",)
    retry_psm: int = 0
    noise_below: float = 0.70
    noise_line_chars: int = 4
    # InkBench, tesserocr: 13.08 % -> 12.82 %; 0.1-0.3 are equal on the odd pages (0.515 of
    # raw), 0.4 drops real words. The rendered sample loses one speck read as "a".
    fragment_below: float = 0.1
    char_blacklist: str = TYPEWRITER_BLACKLIST
    # InkBench, tesserocr: 13.95 % -> 13.36 % with rows_aligned (a two-column letterhead read
    # across, as transcribed), -> 13.08 % with dash_rows as well (separator lines of dashes);
    # the share (0.5-1.0) and the shortest row (4-8 dashes) change nothing there. Rendered
    # sample: 1.39 % -> 0.96 % (its separator lines of dashes).
    rows_aligned: float = 0.75
    dash_rows: int = 5
    invert_check: bool = False
    engine: str = "auto"

    def __post_init__(self) -> None:
        if self.engine not in OCR_ENGINES:
            raise BadArgumentsError(
                f"unknown OCR engine {self.engine!r}; choose from {', '.join(OCR_ENGINES)}"
            )


@dataclass(frozen=True, slots=True)
class CorrectionConfig:
    """The cable-vocabulary corrector.

    Attributes:
        enabled: run the corrector at all.
        apply_above: calibrated posterior at or above which a correction is applied.
        flag_above: posterior at or above which a correction is applied but flagged for review;
            below it the OCR text is kept (and flagged when the word looks wrong).
        mixed_case_apply_above: threshold for text that is not all caps (ordinary English):
            changes at or above ``max(apply_above, this)`` are applied, nothing is applied in
            the flag band and case is never normalized.
        max_block: longest run of characters one edit may replace, drop or insert (teletype
            bursts are 1-4 characters).
        max_candidates: candidates per word kept for context ranking (best channel x prior).
        max_edit_distance: SymSpell edit distance for readings no single block edit explains
            (scattered OCR misreadings); 0 turns SymSpell off.
        min_length: unknown words shorter than this are left alone (abbreviations).
        low_confidence: OCR confidence below which even a known word is checked.
        novel_prob: probability that a word is outside the vocabulary (its spelling is then
            scored by the character model).
        repeat_weight: how much each further occurrence of an unknown word in the same cable
            raises the odds that it is right (garbles do not repeat; names do).
        document_weight: weight of the cable's own words in the language model (cache model).
        unknown_error_prob: prior probability that an unknown word without an OCR confidence
            (text input) is an error.
        dictionaries_dir: folder of built dictionaries; ``None`` uses the bundled ones.
        user_dictionary: extra words (approved corrections) learned from review.
        protected_file: extra protected tokens (rejected corrections) learned from review.
    """

    enabled: bool = True
    apply_above: float = 0.90
    flag_above: float = 0.50
    mixed_case_apply_above: float = 0.90
    max_block: int = 4
    max_candidates: int = 20
    max_edit_distance: int = 2
    min_length: int = 4
    low_confidence: float = 0.5
    novel_prob: float = 0.2
    repeat_weight: float = 30.0
    document_weight: float = 0.3
    unknown_error_prob: float = 0.5
    dictionaries_dir: str | None = None
    user_dictionary: str | None = None
    protected_file: str | None = None


@dataclass(frozen=True, slots=True)
class OutputConfig:
    """What is written to the output folder.

    Attributes:
        formats: any of txt, json, csv, alto, hocr, pdf.
    """

    formats: tuple[str, ...] = ("txt", "json", "csv")


ALL_FORMATS = ("txt", "json", "csv", "alto", "hocr", "pdf")


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    """Everything a run needs; build with ``load_config`` or ``PipelineConfig()``."""

    ingest: IngestConfig = field(default_factory=IngestConfig)
    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)
    ocr: OcrConfig = field(default_factory=OcrConfig)
    correction: CorrectionConfig = field(default_factory=CorrectionConfig)
    output: OutputConfig = field(default_factory=OutputConfig)


_SECTIONS = {
    "ingest": IngestConfig,
    "preprocess": PreprocessConfig,
    "ocr": OcrConfig,
    "correction": CorrectionConfig,
    "output": OutputConfig,
}


def _type_ok(value: Any, hint: Any) -> bool:
    """Whether a TOML value fits a field's type hint (int, float, bool, str, tuple, dict, None)."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        return any(_type_ok(value, arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if origin is tuple:
        item = typing.get_args(hint)[0]
        return isinstance(value, list | tuple) and all(_type_ok(v, item) for v in value)
    if origin is dict or hint is dict:
        return isinstance(value, dict)
    return True


def _coerce(cls: type, values: Any, where: str) -> Any:
    if not isinstance(values, dict):
        raise BadArgumentsError(f"{where}: must be a table of options")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = set(values) - known
    if unknown:
        raise BadArgumentsError(
            f"{where}: unknown option(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(known))}"
        )
    for name, value in values.items():
        if not _type_ok(value, hints[name]):
            raise BadArgumentsError(
                f"{where}: option {name} = {value!r} has the wrong type; expected {hints[name]}"
            )
    fixed = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    return cls(**fixed)


def config_from_mapping(data: dict[str, Any], where: str = "config") -> PipelineConfig:
    """Build a ``PipelineConfig`` from a nested mapping (as read from TOML)."""
    unknown = set(data) - set(_SECTIONS)
    if unknown:
        raise BadArgumentsError(f"{where}: unknown section(s) {', '.join(sorted(unknown))}")
    parts = {
        name: _coerce(cls, data[name], f"{where} [{name}]")
        for name, cls in _SECTIONS.items()
        if name in data
    }
    config = PipelineConfig(**parts)
    validate_config(config)
    return config


def load_config(path: Path | None) -> PipelineConfig:
    """Read a TOML configuration file; ``None`` gives the defaults."""
    if path is None:
        return PipelineConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BadArgumentsError(f"{path}: configuration file not found") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadArgumentsError(f"{path}: not valid TOML ({exc})") from exc
    return config_from_mapping(data, str(path))


def validate_config(config: PipelineConfig) -> None:
    """Raise ``BadArgumentsError`` for values out of range."""
    if config.ingest.dpi < 50 or config.ingest.dpi > 1200:
        raise BadArgumentsError(f"dpi must be between 50 and 1200, got {config.ingest.dpi}")
    first, last = config.ingest.first_page, config.ingest.last_page
    if (first is not None and first < 1) or (last is not None and last < 1):
        raise BadArgumentsError("page numbers start at 1")
    if first is not None and last is not None and first > last:
        raise BadArgumentsError(f"first page {first} is after last page {last}")
    bad = [f for f in config.output.formats if f not in ALL_FORMATS]
    if bad:
        raise BadArgumentsError(
            f"unknown output format(s) {', '.join(bad)}; choose from {', '.join(ALL_FORMATS)}"
        )
    if not 0.0 <= config.ocr.rows_aligned <= 1.0:
        raise BadArgumentsError(f"ocr rows_aligned must be 0-1, got {config.ocr.rows_aligned}")
    if not 0.0 <= config.ocr.fragment_below <= 1.0:
        raise BadArgumentsError(f"ocr fragment_below must be 0-1, got {config.ocr.fragment_below}")
    if config.ocr.dash_rows < 0 or config.ocr.dash_rows == 1:
        raise BadArgumentsError(f"ocr dash_rows must be 0 or 2 or more, got {config.ocr.dash_rows}")
    c = config.correction
    if not 0.0 <= c.flag_above <= c.apply_above <= 1.0:
        raise BadArgumentsError("correction thresholds need 0 <= flag_above <= apply_above <= 1")
    if not 1 <= c.max_block <= 6:
        raise BadArgumentsError(f"correction max_block must be 1-6, got {c.max_block}")
    if not 0 <= c.max_edit_distance <= 2:
        raise BadArgumentsError(
            f"correction max_edit_distance must be 0-2, got {c.max_edit_distance}"
        )
