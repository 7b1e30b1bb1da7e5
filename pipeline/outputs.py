"""Write a transcript's output files atomically (temporary file, then rename)."""

from __future__ import annotations

import importlib.util
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from pipeline.errors import MissingDependencyError, OutputError
from pipeline.records import Transcript
from pipeline.serialize import transcript_to_json, words_csv

TEXT_FILES = {"txt": "transcript.txt", "json": "transcript.json", "csv": "words.csv"}
"""Output file written for each text format; the archive formats are in ``pipeline.formats``."""

_FORMAT_MODULES = {"pdf": ("reportlab", "pip install 'cable-ocr[formats]'")}


def output_files() -> dict[str, str]:
    """File name written for every format."""
    from pipeline.formats import FILE_NAMES

    return {**TEXT_FILES, **FILE_NAMES}


def check_formats(formats: Sequence[str]) -> None:
    """Raise ``MissingDependencyError`` when a requested format's library is not installed."""
    for fmt in formats:
        module, remedy = _FORMAT_MODULES.get(fmt, (None, ""))
        if module and importlib.util.find_spec(module) is None:
            raise MissingDependencyError(f"the {fmt} format needs {module}: {remedy}")


def check_output_dir(out_dir: Path) -> None:
    """Raise ``OutputError`` unless ``out_dir`` exists as a writable folder or can be created."""
    existing = out_dir
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise OutputError(f"{existing}: is a file, not a folder; choose another --out")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"{existing}: not writable; choose another --out")


def render_outputs(transcript: Transcript, formats: Sequence[str]) -> dict[str, bytes]:
    """Every requested format in memory: file name relative to the output folder -> content."""
    files: dict[str, bytes] = {}
    for fmt in formats:
        if fmt == "txt":
            files[TEXT_FILES[fmt]] = transcript.text().encode("utf-8")
        elif fmt == "json":
            data = json.dumps(transcript_to_json(transcript), indent=2, ensure_ascii=False)
            files[TEXT_FILES[fmt]] = (data + "\n").encode("utf-8")
        elif fmt == "csv":
            files[TEXT_FILES[fmt]] = words_csv(transcript).encode("utf-8")
        else:
            from pipeline.formats import render

            files.update(render(fmt, transcript))
    return files


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        tmp.chmod(0o644)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_outputs(transcript: Transcript, out_dir: Path, formats: Sequence[str]) -> list[Path]:
    """Render every requested format, then write each file atomically into ``out_dir``.

    All formats are rendered in memory before anything is written, so a rendering error leaves
    the folder as it was. Output files of formats not requested this time are removed, so the
    folder never mixes files of two runs.
    """
    files = render_outputs(transcript, formats)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for name, data in files.items():
            path = out_dir / name
            atomic_write(path, data)
            written.append(path)
        for name in set(output_files().values()) - set(files):
            (out_dir / name).unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot write outputs ({exc.strerror or exc})") from exc
    return written
