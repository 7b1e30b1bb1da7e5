"""``cable-ocr transcribe``: one cable's scans or transcript -> output folder."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.app import app, split_option, with_given
from pipeline.cli.progress import page_progress


@app.command()
def transcribe(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="PDF, TIFF, PNG/JPEG page images, a folder of page images, or a .txt transcript.",
            show_default=False,
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("out"),
    config_file: Annotated[
        Path | None, typer.Option("--config", help="TOML configuration file.")
    ] = None,
    dpi: Annotated[int | None, typer.Option(help="Rasterization DPI for PDFs.")] = None,
    first_page: Annotated[int | None, typer.Option(help="First page to read (1-based).")] = None,
    last_page: Annotated[int | None, typer.Option(help="Last page to read.")] = None,
    lang: Annotated[str | None, typer.Option(help="Tesseract language(s), e.g. eng.")] = None,
    psm: Annotated[int | None, typer.Option(help="Tesseract page segmentation mode.")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Pages OCR'd in parallel (0 = all cores).")
    ] = None,
    preprocess: Annotated[
        str | None,
        typer.Option(help="Comma-separated preprocessing steps, or 'none'."),
    ] = None,
    correct: Annotated[
        bool | None,
        typer.Option(help="Run the cable-vocabulary corrector (default: on, or as configured)."),
    ] = None,
    formats: Annotated[
        str | None,
        typer.Option(help="Comma-separated outputs: txt,json,csv,alto,hocr,pdf."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Transcribe one cable into OUT: transcript.txt, transcript.json, words.csv.

    \b
    Example:
        cable-ocr transcribe samples/moscow-04648/scans/moscow-04648.pdf --out out/moscow
    """  # noqa: D301 (\b keeps the example lines as written)
    from pipeline.api import transcribe_to
    from pipeline.config import load_config, validate_config

    config = load_config(config_file)
    steps = split_option(preprocess)
    fmts = split_option(formats)
    config = dataclasses.replace(
        config,
        ingest=with_given(config.ingest, dpi=dpi, first_page=first_page, last_page=last_page),
        ocr=with_given(config.ocr, lang=lang, psm=psm, workers=workers),
        preprocess=with_given(
            config.preprocess, steps=None if steps is None else () if steps == ("none",) else steps
        ),
        output=with_given(config.output, formats=fmts),
        correction=with_given(config.correction, enabled=correct),
    )
    validate_config(config)
    with page_progress(enabled=not quiet) as progress:
        transcript, written = transcribe_to(inputs, out, config, progress)
    for warning in transcript.warnings:
        sys.stderr.write(f"cable-ocr: warning: {warning}\n")
    counts: dict[str, int] = {}
    for word in transcript.words:
        counts[word.action.value] = counts.get(word.action.value, 0) + 1
    summary = ", ".join(f"{n} {a}" for a, n in sorted(counts.items()))
    typer.echo(f"{len(transcript.pages)} page(s), {len(transcript.words)} words ({summary})")
    for path in written:
        typer.echo(f"wrote {path}")
