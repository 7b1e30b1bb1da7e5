"""Stages 0-2 together: input files -> one ``OcrPage`` per page, pages read in parallel.

``read_one`` loads, preprocesses and OCRs a single page (or tokenizes a text transcript);
it is a top-level function so worker processes can run it. ``read_pages`` validates all
inputs first, then reads the pages in a process pool and returns them in input order.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path

from pipeline.config import PipelineConfig
from pipeline.errors import InputError
from pipeline.ingest import PageSpec, discover_pages, read_page_image
from pipeline.records import OcrPage, OcrWord, PageRef, ProcessingStep
from pipeline.workers import default_workers, init_worker, pool_context

Progress = Callable[[PageRef, int, int], None]


def _page_name(ref: PageRef) -> str:
    return f"page {ref.index + 1} ({ref.label()})"


def read_text_page(spec: PageSpec) -> OcrPage:
    """Tokenize a text transcript: one page, a word per whitespace-separated token.

    ``line`` is the 0-based line number in the file; boxes and confidences are ``None``.
    """
    path = Path(spec.ref.source)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the transcript as UTF-8 text") from exc
    words = tuple(
        OcrWord(token, None, None, number)
        for number, line in enumerate(text.splitlines())
        for token in line.split()
    )
    step = ProcessingStep("ingest", "text transcript tokenized", {"source": spec.ref.source})
    warnings = () if words else (f"{_page_name(spec.ref)} is blank",)
    return OcrPage(ref=spec.ref, words=words, warnings=warnings, steps=(step,))


def _mean_confidence(page: OcrPage) -> float:
    values = [w.confidence for w in page.words if w.confidence is not None]
    return sum(values) / len(values) if values else 0.0


def confident_characters(page: OcrPage) -> float:
    """Sum of word length x confidence: how much text a reading found, and how surely."""
    return sum(len(w.text) * (w.confidence or 0.0) for w in page.words)


def read_one(spec: PageSpec, config: PipelineConfig) -> OcrPage:
    """Load, preprocess and OCR one page (or tokenize a text transcript).

    A blank page gives an ``OcrPage`` without words and a warning, not an error.

    Raises:
        InputError: the page cannot be decoded, or Tesseract failed on it.
        MissingDependencyError: Tesseract, its language data or poppler is missing.
    """
    if spec.kind == "text":
        return read_text_page(spec)
    from pipeline.ocr import recognize
    from pipeline.preprocess import is_blank, preprocess_page

    pixels, file_dpi = read_page_image(spec, config.ingest)
    dpi = file_dpi or config.ingest.dpi
    warnings: list[str] = []
    if file_dpi is None and spec.kind != "pdf":
        warnings.append(f"{_page_name(spec.ref)}: no DPI in file, assumed {dpi}")
    height, width = pixels.shape[:2]
    ingest_step = ProcessingStep(
        "ingest",
        f"{spec.kind} page {spec.ref.page_number} loaded",
        {"source": spec.ref.source, "page": spec.ref.page_number, "dpi": dpi},
    )
    base = OcrPage(
        ref=spec.ref,
        words=(),
        width=width,
        height=height,
        dpi=dpi,
        image_path=spec.ref.source if spec.kind == "image" else None,
    )
    if is_blank(pixels):
        warnings.append(f"{_page_name(spec.ref)} is blank")
        return dataclasses.replace(base, warnings=tuple(warnings), steps=(ingest_step,))
    cleaned, prep_steps = preprocess_page(pixels, config.preprocess)
    # Without a DPI tag Tesseract estimates the resolution from the text itself.
    ocr_dpi = file_dpi or 0
    page = recognize(cleaned, spec.ref, config.ocr, ocr_dpi)
    ocr_steps = page.steps
    retry = config.ocr.retry_below
    psm = config.ocr.retry_psm or config.ocr.psm
    # A second reading of the same image with the same settings would only repeat the first.
    differs = bool(config.ocr.retry_steps) or psm != config.ocr.psm
    if retry > 0 and differs and _mean_confidence(page) < retry:
        retry_prep = dataclasses.replace(config.preprocess, steps=config.ocr.retry_steps)
        again, _ = preprocess_page(cleaned, retry_prep)
        other = recognize(again, spec.ref, dataclasses.replace(config.ocr, psm=psm), ocr_dpi)
        kept = "second" if confident_characters(other) > confident_characters(page) else "first"
        if kept == "second":
            page = other
        ocr_steps += (
            ProcessingStep(
                "ocr",
                f"low confidence: read again ({' + '.join(config.ocr.retry_steps) or 'same image'}"
                f", psm {psm}), kept the {kept} reading",
                {
                    "retry_below": retry,
                    "retry_steps": list(config.ocr.retry_steps),
                    "retry_psm": psm,
                    "kept": kept,
                },
            ),
        )
    if not page.words:
        warnings.append(f"{_page_name(spec.ref)}: no text found")
    return dataclasses.replace(
        base,
        words=page.words,
        warnings=tuple(warnings),
        steps=(ingest_step, *prep_steps, *ocr_steps),
    )


def check_ocr_setup(config: PipelineConfig) -> None:
    """Check what reading scans needs before any page is read.

    Raises:
        BadArgumentsError: an unknown preprocessing step or parameter, in ``[preprocess]``
            or in ``[ocr] retry_steps``.
        MissingDependencyError: Tesseract or a configured language is missing.
    """
    from pipeline.ocr import check_tesseract
    from pipeline.preprocess import validate_steps

    validate_steps(config.preprocess)
    validate_steps(dataclasses.replace(config.preprocess, steps=config.ocr.retry_steps))
    check_tesseract(config.ocr)


def read_pages(
    inputs: Sequence[Path],
    config: PipelineConfig,
    progress: Progress | None = None,
) -> list[OcrPage]:
    """Read every page of the inputs, in parallel, returning pages in input order.

    Args:
        inputs: files and folders (see ``pipeline.ingest.discover_pages``).
        config: the whole configuration (ingest, preprocess and ocr parts are used).
        progress: called as each page completes with (page, pages done, pages total).

    Raises:
        InputError, MissingDependencyError, BadArgumentsError: before any page is read when
            an input or setting is wrong; a page's own error otherwise.
        KeyboardInterrupt: pending pages are cancelled and the interrupt is passed on.
    """
    specs = discover_pages(list(inputs), config.ingest)
    if any(spec.kind != "text" for spec in specs):
        check_ocr_setup(config)
    total = len(specs)
    workers = config.ocr.workers or default_workers()
    workers = max(1, min(workers, sum(1 for s in specs if s.kind != "text")))
    results: list[OcrPage | None] = [None] * total
    if workers == 1:
        for done, spec in enumerate(specs, start=1):
            results[done - 1] = read_one(spec, config)
            if progress:
                progress(spec.ref, done, total)
        return [page for page in results if page is not None]
    executor = ProcessPoolExecutor(
        workers, mp_context=pool_context(), initializer=init_worker, initargs=(os.getpid(),)
    )
    try:
        futures: dict[Future[OcrPage], int] = {
            executor.submit(read_one, spec, config): position for position, spec in enumerate(specs)
        }
        for done, future in enumerate(as_completed(futures), start=1):
            position = futures[future]
            results[position] = future.result()
            if progress:
                progress(specs[position].ref, done, total)
    except BaseException:
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    executor.shutdown(wait=True)
    return [page for page in results if page is not None]
