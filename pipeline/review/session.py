"""A review session over one or more output folders: the queue, decisions, audit and apply.

The web app and the CLI call this; it joins the pure decision logic, the decisions database,
crops and the learning files.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import BadArgumentsError, InputError
from pipeline.outputs import write_outputs
from pipeline.records import Transcript
from pipeline.review.crops import CropCache
from pipeline.review.decisions import (
    ApplySummary,
    Decision,
    DecisionAction,
    ReviewItem,
    apply_decisions,
    decided_text,
    effective_decisions,
    pending_items,
    summarize,
    transcript_fingerprint,
)
from pipeline.review.learn import lessons, teach
from pipeline.review.store import DecisionConflictError, DecisionStore, NewDecision
from pipeline.serialize import read_transcript

MAX_ALTERNATIVES = 5


def existing_formats(out_dir: Path) -> list[str]:
    """Formats to re-render in ``out_dir``: txt, json, csv and the archive formats present.

    An archive format (alto, hocr, pdf) counts when its file is already in the folder.
    """
    from pipeline.formats import FILE_NAMES

    formats = ["txt", "json", "csv"]
    formats.extend(fmt for fmt, name in FILE_NAMES.items() if (out_dir / name).is_file())
    return formats


@dataclass
class Folder:
    """One output folder under review."""

    number: int
    path: Path
    transcript: Transcript
    store: DecisionStore
    crops: CropCache
    items: list[ReviewItem] = field(default_factory=list)
    by_index: dict[int, ReviewItem] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """Label shown in the queue (the folder name)."""
        return self.path.name or str(self.path)


@dataclass(frozen=True, slots=True)
class DecideResult:
    """Outcome of one reviewer action."""

    decision: Decision
    also_stored: int = 0
    """Identical items decided along with it."""
    also_refused: int = 0
    """Identical items left alone because they already had a verdict."""


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """Outcome of applying one folder's decisions."""

    folder: Path
    summary: ApplySummary
    written: tuple[Path, ...]
    new_user_words: int
    new_protected: int

    def line(self) -> str:
        """One line for humans."""
        s = self.summary
        return (
            f"{self.folder}: {s.applied} decisions applied ({s.approved} approved, "
            f"{s.rejected} rejected, {s.edited} edited; {s.skipped} skipped, {s.stale} stale); "
            f"{self.new_user_words} new user words, {self.new_protected} new protected tokens"
        )


def decision_json(decision: Decision | None) -> dict[str, Any] | None:
    """A decision as JSON-ready data."""
    if decision is None:
        return None
    return {
        "action": decision.action.value,
        "after": decision.after,
        "before": decision.before,
        "reviewer": decision.reviewer,
        "decided_at": decision.decided_at,
        "revision": decision.revision,
    }


class ReviewSession:
    """The review state of a set of output folders.

    Args:
        out_dirs: output folders (each with transcript.json and words.csv).
        reviewer: default reviewer name stored with decisions.

    Raises:
        InputError: a folder is not a cable-ocr output folder.
        BadArgumentsError: no folder, or the same folder twice.
    """

    def __init__(self, out_dirs: Sequence[Path], reviewer: str) -> None:
        if not out_dirs:
            raise BadArgumentsError("give at least one output folder")
        resolved = [path.resolve() for path in out_dirs]
        if len(set(resolved)) != len(resolved):
            raise BadArgumentsError("the same output folder is given twice")
        self.reviewer = reviewer
        self.folders: list[Folder] = []
        self._apply_lock = threading.Lock()
        for number, path in enumerate(resolved):
            transcript = read_transcript(path)
            folder = Folder(
                number=number,
                path=path,
                transcript=transcript,
                store=DecisionStore(path, transcript_fingerprint(transcript)),
                crops=CropCache(transcript, path),
            )
            folder.items = pending_items(transcript, folder.store.effective())
            folder.by_index = {item.index: item for item in folder.items}
            self.folders.append(folder)

    def folder(self, number: int) -> Folder:
        """The folder with this number.

        Raises:
            InputError: no such folder.
        """
        if not 0 <= number < len(self.folders):
            raise InputError(f"no output folder number {number}")
        return self.folders[number]

    def item(self, number: int, index: int) -> tuple[Folder, ReviewItem]:
        """A queue item by folder number and word index.

        Raises:
            InputError: the word is not in the review queue.
        """
        folder = self.folder(number)
        item = folder.by_index.get(index)
        if item is None:
            raise InputError(f"{folder.name}: word {index} is not in the review queue")
        return folder, item

    def ordered(self) -> list[tuple[Folder, ReviewItem]]:
        """Every queue item of every folder, least certain first."""
        pairs = [(folder, item) for folder in self.folders for item in folder.items]
        pairs.sort(key=lambda pair: (pair[1].uncertainty_key[0], pair[0].number, pair[1].index))
        return pairs

    def snapshot(self) -> dict[str, Any]:
        """The queue with current decisions and progress, as JSON-ready data."""
        effective = {folder.number: folder.store.effective() for folder in self.folders}
        counts: dict[tuple[str, str], int] = {}
        for folder in self.folders:
            for item in folder.items:
                counts[item.signature] = counts.get(item.signature, 0) + 1
        items = []
        decided = 0
        for folder, item in self.ordered():
            decision = effective[folder.number].get(item.index)
            if decision is not None and decision.action is not DecisionAction.SKIP:
                decided += 1
            has_image = folder.crops.has_image(item.index)
            items.append(
                {
                    "key": f"{folder.number}:{item.index}",
                    "folder": folder.number,
                    "folder_name": folder.name,
                    "index": item.index,
                    "ocr_text": item.ocr_text,
                    "proposal": item.proposal,
                    "alternatives": list(item.alternatives[:MAX_ALTERNATIVES]),
                    "posterior": item.posterior,
                    "ocr_confidence": item.ocr_confidence,
                    "page": "" if item.page is None else item.page.label(),
                    "line": item.line,
                    "line_before": item.line_before,
                    "line_after": item.line_after,
                    "has_image": has_image,
                    "crop_url": f"/crop/{folder.number}/{item.index}.png" if has_image else None,
                    "identical": counts[item.signature] - 1,
                    "decision": decision_json(decision),
                }
            )
        return {"items": items, "decided": decided, "total": len(items)}

    def decide(
        self,
        number: int,
        index: int,
        action: DecisionAction,
        text: str | None = None,
        reviewer: str | None = None,
        base_revision: int | None = None,
        all_identical: bool = False,
    ) -> DecideResult:
        """Store a reviewer's action on one item (and optionally every identical item).

        Args:
            number: folder number.
            index: word index.
            action: approve, reject, edit or skip.
            text: the typed text for ``edit``.
            reviewer: who decided (the session's reviewer when empty).
            base_revision: set to revise a verdict: the revision the reviewer saw.
            all_identical: also decide every other undecided item, in every folder, with the
                same OCR text and proposal (not for skip or revisions).

        Raises:
            InputError: unknown item.
            BadArgumentsError: an edit without text.
            DecisionConflictError: the item was already decided by someone else.
        """
        folder, item = self.item(number, index)
        try:
            after = decided_text(item, action, text)
        except ValueError as exc:
            raise BadArgumentsError(str(exc)) from exc
        who = (reviewer or "").strip()[:80] or self.reviewer
        new = NewDecision(index, action, item.ocr_text, item.proposal, after, who)
        if base_revision is not None:
            decision = folder.store.revise(new, base_revision)
        else:
            decision = folder.store.decide(new)
        stored = refused = 0
        if all_identical and action is not DecisionAction.SKIP:
            for other_folder in self.folders:
                batch = [
                    NewDecision(o.index, action, o.ocr_text, o.proposal, after, who)
                    for o in other_folder.items
                    if o.signature == item.signature
                    and not (other_folder is folder and o.index == item.index)
                ]
                if batch:
                    done, errors = other_folder.store.decide_many(batch)
                    stored += len(done)
                    refused += len(errors)
        return DecideResult(decision, stored, refused)

    def audit(self) -> list[tuple[Folder, Decision]]:
        """Every stored decision of every folder, newest first."""
        rows = [(folder, d) for folder in self.folders for d in folder.store.history()]
        rows.sort(key=lambda pair: (pair[1].decided_at, pair[1].id), reverse=True)
        return rows

    def apply(self) -> list[ApplyResult]:
        """Apply every folder's decisions (see ``apply_folder``).

        Applies are serialized: a second call (a double click on "Apply decisions") waits for
        the first to finish instead of writing the same files at the same time.
        """
        with self._apply_lock:
            return [apply_folder(folder.path) for folder in self.folders]


def apply_folder(out_dir: Path, teach_dir: Path | None = None) -> ApplyResult:
    """Regenerate an output folder's files with its review decisions and learn from them.

    Reads the folder (``read_transcript``), applies the effective decisions, rewrites
    transcript.txt, transcript.json, words.csv and any alto/hocr/pdf output already there,
    then appends approved corrections to ``user_words.txt`` and rejected OCR texts to
    ``protected.txt``. Decisions made on another transcript of the folder (it was transcribed
    again since) are stale: counted in the summary, not applied.

    Args:
        out_dir: the output folder.
        teach_dir: where the learning files live; ``user_data_dir()`` when ``None``.
    """
    transcript = read_transcript(out_dir)
    decisions = DecisionStore(out_dir, transcript_fingerprint(transcript)).history()
    chosen = effective_decisions(decisions)
    updated = apply_decisions(transcript, chosen)
    written = write_outputs(updated, out_dir, existing_formats(out_dir))
    words, protected = teach(lessons(transcript, chosen.values()), teach_dir)
    return ApplyResult(
        folder=out_dir,
        summary=summarize(transcript, chosen.values()),
        written=tuple(written),
        new_user_words=words,
        new_protected=protected,
    )


__all__ = [
    "ApplyResult",
    "DecideResult",
    "DecisionConflictError",
    "ReviewSession",
    "apply_folder",
    "existing_formats",
]
