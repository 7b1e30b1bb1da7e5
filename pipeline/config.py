"""One immutable configuration, one sub-configuration per stage, loadable from TOML.

A stage receives only its own sub-configuration. Defaults live here, not in the CLI; the
CLI and ``load_config`` override fields with ``dataclasses.replace``.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import BadArgumentsError

DEFAULT_PREPROCESS_STEPS: tuple[str, ...] = ("grayscale", "median", "otsu", "deskew")
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
    """

    lang: str = "eng"
    psm: int = 6
    oem: int = 1
    workers: int = 0
    timeout: float = 0.0
    tessdata_dir: str | None = None


@dataclass(frozen=True, slots=True)
class CorrectionConfig:
    """The cable-vocabulary corrector.

    Attributes:
        enabled: run the corrector at all.
        apply_above: posterior at or above which a correction is applied.
        flag_above: posterior at or above which a correction is applied but flagged for review;
            below it the OCR text is kept (and flagged when the word looks wrong).
        max_edit_distance: SymSpell edit distance for dictionary candidates.
        dictionaries_dir: folder of built dictionaries; ``None`` uses the bundled ones.
        user_dictionary: extra words (approved corrections) learned from review.
        protected_file: extra protected tokens (rejected corrections) learned from review.
    """

    enabled: bool = True
    apply_above: float = 0.90
    flag_above: float = 0.50
    max_edit_distance: int = 2
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


def _coerce(cls: type, values: dict[str, Any], where: str) -> Any:
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = set(values) - known
    if unknown:
        raise BadArgumentsError(
            f"{where}: unknown option(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(known))}"
        )
    fixed = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    try:
        return cls(**fixed)
    except TypeError as exc:
        raise BadArgumentsError(f"{where}: {exc}") from exc


def config_from_mapping(data: dict[str, Any], where: str = "config") -> PipelineConfig:
    """Build a ``PipelineConfig`` from a nested mapping (as read from TOML)."""
    unknown = set(data) - set(_SECTIONS)
    if unknown:
        raise BadArgumentsError(f"{where}: unknown section(s) {', '.join(sorted(unknown))}")
    parts = {
        name: _coerce(cls, dict(data[name]), f"{where} [{name}]")
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
    c = config.correction
    if not 0.0 <= c.flag_above <= c.apply_above <= 1.0:
        raise BadArgumentsError("correction thresholds need 0 <= flag_above <= apply_above <= 1")
