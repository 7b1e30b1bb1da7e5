"""Write a transcript's output files atomically (temporary file, then rename)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from pipeline.errors import OutputError
from pipeline.records import Transcript
from pipeline.serialize import transcript_to_json, words_csv


def _txt(transcript: Transcript) -> dict[str, bytes]:
    return {"transcript.txt": transcript.text().encode("utf-8")}


def _json(transcript: Transcript) -> dict[str, bytes]:
    text = json.dumps(transcript_to_json(transcript), indent=2, ensure_ascii=False) + "\n"
    return {"transcript.json": text.encode("utf-8")}


def _csv(transcript: Transcript) -> dict[str, bytes]:
    return {"words.csv": words_csv(transcript).encode("utf-8")}


def _archive(fmt: str) -> Callable[[Transcript], Mapping[str, bytes]]:
    def render(transcript: Transcript) -> Mapping[str, bytes]:
        from pipeline import formats

        return formats.render(fmt, transcript)

    return render


RENDERERS: dict[str, Callable[[Transcript], Mapping[str, bytes]]] = {
    "txt": _txt,
    "json": _json,
    "csv": _csv,
    "alto": _archive("alto"),
    "hocr": _archive("hocr"),
    "pdf": _archive("pdf"),
}


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with tmp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def write_outputs(transcript: Transcript, out_dir: Path, formats: Sequence[str]) -> list[Path]:
    """Render every requested format, then write each file atomically into ``out_dir``.

    All formats are rendered in memory before anything is written, so a rendering error
    leaves the folder as it was.
    """
    files: dict[str, bytes] = {}
    for fmt in formats:
        files.update(RENDERERS[fmt](transcript))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for name, data in files.items():
            path = out_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, data)
            written.append(path)
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot write outputs ({exc.strerror or exc})") from exc
    return written
