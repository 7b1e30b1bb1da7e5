"""``cable-ocr evaluate``: character and word error rates of a transcript."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.app import app


@app.command()
def evaluate(
    hypothesis: Annotated[
        Path,
        typer.Argument(
            help="transcript.txt to score, or an output folder holding one.", show_default=False
        ),
    ],
    reference: Annotated[
        Path, typer.Argument(help="Ground-truth text (e.g. reference.txt).", show_default=False)
    ],
    body_only: Annotated[
        bool,
        typer.Option("--body-only", help="Compare only the text after the first blank line."),
    ] = False,
    ignore_case: Annotated[
        bool, typer.Option("--ignore-case", help="Fold case before comparing.")
    ] = False,
) -> None:
    """Print the CER and WER of HYPOTHESIS against REFERENCE.

    Both texts are normalized first (Unicode NFKC, quotes and dashes unified, whitespace
    collapsed), so line wrapping does not count as an error.

    \b
    Example:
        cable-ocr evaluate out/moscow samples/moscow-04648/reference.txt --body-only
    """  # noqa: D301 (\b keeps the example lines as written)
    from pipeline.evaluate import body_of, evaluate_text, read_text_file

    hyp = read_text_file(hypothesis)
    ref = read_text_file(reference)
    if body_only:
        hyp, ref = body_of(hyp), body_of(ref)
    result = evaluate_text(hyp, ref, casefold=ignore_case)
    typer.echo(
        f"CER {result.cer:.4f} ({result.char_errors}/{result.char_total} characters)  "
        f"WER {result.wer:.4f} ({result.word_errors}/{result.word_total} words)"
    )
