"""Archive-standard outputs: ALTO 4.4, hOCR and a searchable PDF.

Files: ``alto.xml``, ``transcript.hocr`` and ``transcript.pdf``.

``render`` is what ``pipeline.outputs`` calls for the ``alto``, ``hocr`` and ``pdf`` formats.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.errors import BadArgumentsError
from pipeline.records import Transcript

FILE_NAMES = {"alto": "alto.xml", "hocr": "transcript.hocr", "pdf": "transcript.pdf"}
"""Output file (relative to the output folder) written for each format."""


def _renderer(fmt: str) -> Callable[[Transcript], bytes]:
    if fmt == "alto":
        from pipeline.formats.alto import render_alto

        return render_alto
    if fmt == "hocr":
        from pipeline.formats.hocr import render_hocr

        return render_hocr
    from pipeline.formats.searchable_pdf import render_pdf

    return render_pdf


def render(fmt: str, transcript: Transcript) -> dict[str, bytes]:
    """Render ``transcript`` in an archive format.

    Args:
        fmt: ``alto``, ``hocr`` or ``pdf``.
        transcript: the cable to render.

    Returns:
        File name relative to the output folder, mapped to the file's content.

    Raises:
        BadArgumentsError: ``fmt`` is not an archive format.
        MissingDependencyError: the pdf format needs reportlab.
        InputError: the pdf format cannot reload a page image.
    """
    if fmt not in FILE_NAMES:
        raise BadArgumentsError(
            f"unknown output format {fmt!r}; archive formats are {', '.join(FILE_NAMES)}"
        )
    return {FILE_NAMES[fmt]: _renderer(fmt)(transcript)}
