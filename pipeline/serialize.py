"""Transcript <-> files: transcript.txt, transcript.json and the words.csv confidence log.

words.csv is a projection of ``Transcript.words``; with transcript.json it is enough to rebuild
the ``Transcript`` (``read_transcript``), which is how review decisions are re-applied.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pipeline.errors import InputError
from pipeline.records import (
    HEADER_FIELDS,
    Action,
    Box,
    FieldValue,
    PageInfo,
    PageRef,
    ProcessingStep,
    Source,
    Transcript,
    TranscriptWord,
    Zone,
)

SCHEMA_VERSION = "1.0"

WORDS_CSV_COLUMNS = (
    "index",
    "page",
    "source_file",
    "source_page",
    "section",
    "line",
    "x",
    "y",
    "w",
    "h",
    "ocr_text",
    "ocr_confidence",
    "final_text",
    "action",
    "source",
    "posterior",
    "alternatives",
    "zone",
    "paragraph",
    "glue",
)
"""Columns of words.csv. ``page`` is the 1-based position of the page in the input;
``source_file``/``source_page`` say where it came from; x, y, w, h is the word box in pixels
of that page; ``alternatives`` are separated by ``|``; ``glue`` is what joins the word to the
previous one of its paragraph (a space, or empty after a joined hyphen)."""


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def word_row(word: TranscriptWord) -> dict[str, str]:
    """One words.csv row."""
    box = word.box
    page = word.page
    return {
        "index": str(word.index),
        "page": "" if page is None else str(page.index + 1),
        "source_file": "" if page is None else page.source,
        "source_page": "" if page is None else str(page.page_number),
        "section": "" if word.section is None else str(word.section),
        "line": str(word.line),
        "x": "" if box is None else str(box.left),
        "y": "" if box is None else str(box.top),
        "w": "" if box is None else str(box.width),
        "h": "" if box is None else str(box.height),
        "ocr_text": word.ocr_text,
        "ocr_confidence": _fmt(word.ocr_confidence),
        "final_text": word.final_text,
        "action": word.action.value,
        "source": word.source.value,
        "posterior": _fmt(word.posterior),
        "alternatives": "|".join(word.alternatives),
        "zone": word.zone.value,
        "paragraph": "" if word.paragraph is None else str(word.paragraph),
        "glue": word.glue,
    }


def words_csv(transcript: Transcript) -> str:
    """The confidence log as CSV text."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=WORDS_CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for word in transcript.words:
        writer.writerow(word_row(word))
    return buffer.getvalue()


def _opt_int(text: str) -> int | None:
    return int(text) if text != "" else None


def _opt_float(text: str) -> float | None:
    return float(text) if text != "" else None


def words_from_rows(
    rows: Iterable[Mapping[str, str]], pages: Iterable[PageInfo]
) -> list[TranscriptWord]:
    """Rebuild ``TranscriptWord`` records from words.csv rows."""
    refs = {info.ref.index + 1: info.ref for info in pages}
    words = []
    for row in rows:
        page_no = _opt_int(row["page"])
        ref: PageRef | None = None
        if page_no is not None:
            ref = refs.get(page_no) or PageRef(
                row["source_file"], int(row["source_page"] or 1), page_no - 1
            )
        box = None
        if row["x"] != "":
            box = Box(int(row["x"]), int(row["y"]), int(row["w"]), int(row["h"]))
        words.append(
            TranscriptWord(
                index=int(row["index"]),
                page=ref,
                line=int(row["line"]),
                box=box,
                ocr_text=row["ocr_text"],
                ocr_confidence=_opt_float(row["ocr_confidence"]),
                final_text=row["final_text"],
                zone=Zone(row["zone"]),
                action=Action(row["action"]),
                source=Source(row["source"]),
                posterior=_opt_float(row["posterior"]),
                alternatives=tuple(a for a in row["alternatives"].split("|") if a),
                section=_opt_int(row["section"]),
                paragraph=_opt_int(row["paragraph"]),
                glue=row["glue"],
            )
        )
    return words


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, PageRef):
        return {"source": value.source, "page_number": value.page_number, "index": value.index}
    return value


def _page_json(info: PageInfo) -> dict[str, Any]:
    return {
        "page": info.ref.index + 1,
        "source": info.ref.source,
        "source_page": info.ref.page_number,
        "width": info.width,
        "height": info.height,
        "dpi": info.dpi,
        "section": info.section,
        "page_in_section": info.page_in_section,
    }


def transcript_to_json(transcript: Transcript) -> dict[str, Any]:
    """transcript.json content (see schemas/transcript.schema.json)."""
    header: dict[str, Any] = {key: None for key in HEADER_FIELDS}
    header["tags"] = []
    evidence = {}
    for key, field_value in transcript.header.items():
        header[key] = _jsonable(field_value.value)
        evidence[key] = {
            "confidence": round(field_value.confidence, 4),
            "page": None if field_value.page is None else field_value.page.index + 1,
            "line": field_value.line,
            "votes": field_value.votes,
            "alternatives": list(field_value.alternatives),
        }
    kinds = transcript.paragraph_kinds
    blocks = transcript.blocks(Zone.BODY)
    body = [text for _, text in blocks]
    paragraphs = [{"kind": kinds.get(pid, "paragraph"), "text": text} for pid, text in blocks]
    counts = {action.value: 0 for action in Action}
    for word in transcript.words:
        counts[word.action.value] += 1
    return {
        "schema_version": SCHEMA_VERSION,
        "header": header,
        "header_evidence": evidence,
        "header_lines": transcript.header_lines(),
        "body": body,
        "paragraphs": paragraphs,
        "signature": transcript.signature() or None,
        "metadata": _jsonable(transcript.metadata),
        "warnings": list(transcript.warnings),
        "pages": [_page_json(info) for info in transcript.pages],
        "word_counts": counts,
        "steps": [
            {"stage": s.stage, "description": s.description, "settings": _jsonable(s.settings)}
            for s in transcript.steps
        ],
    }


def read_transcript(out_dir: Path) -> Transcript:
    """Rebuild a ``Transcript`` from an output folder's transcript.json and words.csv."""
    json_path, csv_path = out_dir / "transcript.json", out_dir / "words.csv"
    for path in (json_path, csv_path):
        if not path.is_file():
            raise InputError(f"{path}: not found; is {out_dir} a cable-ocr output folder?")
    try:
        data = json.loads(json_path.read_text(encoding="utf-8"))
        with csv_path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        pages = tuple(
            PageInfo(
                ref=PageRef(p["source"], p["source_page"], p["page"] - 1),
                width=p["width"],
                height=p["height"],
                dpi=p["dpi"],
                section=p.get("section"),
                page_in_section=p.get("page_in_section"),
            )
            for p in data["pages"]
        )
        words = words_from_rows(rows, pages)
        refs = {info.ref.index + 1: info.ref for info in pages}
        header = {}
        for key, evidence in data.get("header_evidence", {}).items():
            page_no = evidence.get("page")
            header[key] = FieldValue(
                value=data["header"].get(key),
                confidence=evidence["confidence"],
                page=refs.get(page_no) if page_no else None,
                line=evidence.get("line"),
                votes=evidence.get("votes", 1),
                alternatives=tuple(evidence.get("alternatives", ())),
            )
        blocks = Transcript(words=tuple(words)).blocks(Zone.BODY)
        kinds = {
            pid: para["kind"]
            for (pid, _), para in zip(blocks, data.get("paragraphs", []), strict=False)
        }
        steps = tuple(
            ProcessingStep(s["stage"], s["description"], s.get("settings", {}))
            for s in data.get("steps", [])
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise InputError(f"{out_dir}: transcript.json or words.csv is malformed ({exc})") from exc
    return Transcript(
        words=tuple(words),
        pages=pages,
        header=header,
        paragraph_kinds=kinds,
        metadata=data.get("metadata", {}),
        warnings=tuple(data.get("warnings", [])),
        steps=steps,
    )
