"""The batch summary: one row per cable, written as JSON and CSV, and the exit code."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from pipeline.errors import ExitCode, OutputError
from pipeline.outputs import atomic_write
from pipeline.records import Action, Transcript

Status = Literal["done", "skipped", "failed", "duplicate"]
"""``done``: written by this run; ``skipped``: up to date from an earlier run;
``failed``: see ``error``; ``duplicate``: same content as another cable (see ``error``)."""

SUMMARY_JSON = "batch-summary.json"
SUMMARY_CSV = "batch-summary.csv"
CSV_COLUMNS = (
    "cable",
    "input",
    "pages",
    "words",
    "mean_confidence",
    "flagged_words",
    "seconds",
    "status",
    "error",
)


@dataclass(slots=True)
class CableResult:
    """One summary row.

    Attributes:
        cable: output folder, relative to the batch output folder.
        input: the archive-relative file or folder the cable came from.
        pages: pages read.
        words: words in the transcript.
        mean_confidence: mean OCR confidence of those words (``None`` for text input).
        flagged_words: words flagged for review.
        seconds: processing time (page reading and assembly, summed over workers).
        status: see ``Status``.
        error: why it failed, or what it duplicates.
    """

    cable: str
    input: str
    pages: int = 0
    words: int = 0
    mean_confidence: float | None = None
    flagged_words: int = 0
    seconds: float = 0.0
    status: Status = "done"
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CableResult:
        """Inverse of ``to_dict`` (unknown keys ignored)."""
        known = {k: v for k, v in data.items() if k in CSV_COLUMNS}
        return cls(**known)


def transcript_stats(transcript: Transcript) -> tuple[int, float | None, int]:
    """Words in the transcript, their mean OCR confidence, and flagged words."""
    kept = [w for w in transcript.words if w.in_transcript]
    confidences = [w.ocr_confidence for w in kept if w.ocr_confidence is not None]
    mean = round(sum(confidences) / len(confidences), 4) if confidences else None
    flagged = sum(1 for w in transcript.words if w.action is Action.FLAGGED)
    return len(kept), mean, flagged


@dataclass(slots=True)
class BatchReport:
    """What a batch did: every cable's row, plus where the summary files are."""

    out_dir: Path
    results: list[CableResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pages_read: int = 0
    wall_seconds: float = 0.0
    worker_peak_rss_kb: dict[int, int] = field(default_factory=dict)
    """Peak resident memory of each worker process (by process id), in KiB."""

    def count(self, *statuses: Status) -> int:
        """Number of rows with one of ``statuses``."""
        return sum(1 for r in self.results if r.status in statuses)

    @property
    def exit_code(self) -> ExitCode:
        """0 when no cable failed, 8 when every cable failed, 6 otherwise."""
        failed = self.count("failed")
        if failed == 0:
            return ExitCode.OK
        if failed == self.count("done", "skipped", "failed"):
            return ExitCode.ALL_FAILED
        return ExitCode.PARTIAL_FAILURE

    def summary_line(self) -> str:
        """One line for humans."""
        return (
            f"{self.count('done')} done, {self.count('skipped')} up to date, "
            f"{self.count('failed')} failed, {self.count('duplicate')} duplicate; "
            f"{self.pages_read} page(s) read in {self.wall_seconds:.1f} s"
        )

    def to_json(self) -> dict[str, Any]:
        """The summary document."""
        return {
            "counts": {s: self.count(s) for s in ("done", "skipped", "failed", "duplicate")},
            "exit_code": int(self.exit_code),
            "pages_read": self.pages_read,
            "wall_seconds": round(self.wall_seconds, 3),
            "worker_peak_rss_mb": sorted(
                round(kb / 1024, 1) for kb in self.worker_peak_rss_kb.values()
            ),
            "notes": list(self.notes),
            "cables": [r.to_dict() for r in self.results],
        }

    def to_csv(self) -> str:
        """The summary rows as CSV."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in self.results:
            values = row.to_dict()
            values["mean_confidence"] = (
                "" if row.mean_confidence is None else f"{row.mean_confidence:.4f}"
            )
            values["seconds"] = f"{row.seconds:.3f}"
            writer.writerow(values)
        return buffer.getvalue()

    def write(self) -> tuple[Path, Path]:
        """Write batch-summary.json and batch-summary.csv atomically into ``out_dir``.

        Raises:
            OutputError: the files cannot be written.
        """
        self.results.sort(key=lambda r: (r.cable, r.input))
        json_path = self.out_dir / SUMMARY_JSON
        csv_path = self.out_dir / SUMMARY_CSV
        try:
            text = json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"
            atomic_write(json_path, text.encode("utf-8"))
            atomic_write(csv_path, self.to_csv().encode("utf-8"))
        except OSError as exc:
            raise OutputError(
                f"{self.out_dir}: cannot write the batch summary ({exc.strerror or exc})"
            ) from exc
        return json_path, csv_path
