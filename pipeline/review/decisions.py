"""Review decisions as pure functions: the queue of flagged words and applying decisions.

A *flagged* word is one the corrector was unsure about: its ``final_text`` is the proposal,
``ocr_text`` what Tesseract read. A reviewer decides each one:

- ``approve``: the proposal is right; final text = proposal, action ``corrected``.
- ``reject``: the OCR text is right; final text = OCR text, action ``kept``.
- ``edit``: the reviewer typed (or picked an alternative as) the right text; action
  ``corrected`` (``kept`` when the typed text equals the OCR text).
- ``skip``: no verdict; the word stays flagged.

Every decided word gets ``source = reviewer`` and ``posterior = 1.0``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from pipeline.records import (
    Action,
    Box,
    PageRef,
    ProcessingStep,
    Source,
    Transcript,
    TranscriptWord,
)


class DecisionAction(StrEnum):
    """What a reviewer did with a flagged word."""

    APPROVE = "approve"
    REJECT = "reject"
    EDIT = "edit"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class Decision:
    """One stored decision about one word of one output folder."""

    index: int
    """``TranscriptWord.index`` of the word decided."""
    action: DecisionAction
    ocr_text: str
    """The word's OCR text when it was decided (detects stale decisions)."""
    before: str
    """The word's final text (the proposal) when it was decided."""
    after: str
    """The final text the decision gives the word."""
    reviewer: str = ""
    decided_at: str = ""
    """ISO 8601 UTC time."""
    revision: int = 0
    """0 for the first decision on the word, 1, 2, ... for explicit revisions."""
    id: int = 0
    """Row id in the decisions database (0 when not stored)."""
    supersedes: int | None = None
    """Row id of the decision this revision replaces."""
    fingerprint: str | None = None
    """``transcript_fingerprint`` of the transcript decided on (``None``: not recorded)."""


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A flagged word as the reviewer sees it."""

    index: int
    ocr_text: str
    proposal: str
    alternatives: tuple[str, ...]
    posterior: float | None
    ocr_confidence: float | None
    page: PageRef | None
    box: Box | None
    line: int
    line_before: str
    """OCR text of the words on the same line before this word."""
    line_after: str
    """OCR text of the words on the same line after this word."""

    @property
    def uncertainty_key(self) -> tuple[float, int]:
        """Sort key: least certain first (posterior, else OCR confidence, else 0), then index."""
        score = self.posterior if self.posterior is not None else self.ocr_confidence
        return (0.0 if score is None else score, self.index)

    @property
    def signature(self) -> tuple[str, str]:
        """``(ocr_text, proposal)``: items with the same signature are the same recurring error."""
        return (self.ocr_text, self.proposal)


def decided_text(item: ReviewItem, action: DecisionAction, text: str | None = None) -> str:
    """The final text a decision gives the item's word.

    Args:
        item: the queue item.
        action: the reviewer's action.
        text: the typed text, required for ``edit``.

    Raises:
        ValueError: ``edit`` without a non-blank text.
    """
    if action is DecisionAction.APPROVE:
        return item.proposal
    if action is DecisionAction.REJECT:
        return item.ocr_text
    if action is DecisionAction.EDIT:
        if text is None or not text.strip():
            raise ValueError("an edit needs the corrected text")
        return " ".join(text.split())
    return item.proposal


def _line_keys(word: TranscriptWord) -> tuple[int, int]:
    return (-1 if word.page is None else word.page.index, word.line)


CONTEXT_WORDS = 12
"""Words of line context kept on each side of a queue item (a text input's line can be a
whole paragraph)."""


def _context(words: Sequence[TranscriptWord], before: bool) -> str:
    texts = [w.ocr_text for w in words if w.ocr_text]
    if len(texts) <= CONTEXT_WORDS:
        return " ".join(texts)
    if before:
        return "\u2026 " + " ".join(texts[-CONTEXT_WORDS:])
    return " ".join(texts[:CONTEXT_WORDS]) + " \u2026"


def pending_items(
    transcript: Transcript, decisions: Mapping[int, Decision] | None = None
) -> list[ReviewItem]:
    """The review queue: every flagged word, least certain first.

    Args:
        transcript: the transcript as read from an output folder.
        decisions: effective decisions already stored; a word decided and applied earlier
            (no longer flagged) stays in the queue with its original proposal, so it can be
            audited and revised.

    Line context is the OCR text of the other words on the same page line (at most
    ``CONTEXT_WORDS`` on each side).
    """
    decisions = decisions or {}
    fingerprint = transcript_fingerprint(transcript)
    lines: dict[tuple[int, int], list[TranscriptWord]] = {}
    for word in transcript.words:
        lines.setdefault(_line_keys(word), []).append(word)
    items = []
    for word in transcript.words:
        proposal = word.final_text
        if word.action is not Action.FLAGGED:
            earlier = decisions.get(word.index)
            if earlier is None or is_stale(word, earlier, fingerprint):
                continue
            proposal = earlier.before
        line = lines[_line_keys(word)]
        position = line.index(word)
        items.append(
            ReviewItem(
                index=word.index,
                ocr_text=word.ocr_text,
                proposal=proposal,
                alternatives=tuple(a for a in word.alternatives if a != proposal),
                posterior=word.posterior,
                ocr_confidence=word.ocr_confidence,
                page=word.page,
                box=word.box,
                line=word.line,
                line_before=_context(line[:position], before=True),
                line_after=_context(line[position + 1 :], before=False),
            )
        )
    items.sort(key=lambda item: item.uncertainty_key)
    return items


def identical_items(items: Iterable[ReviewItem], item: ReviewItem) -> list[ReviewItem]:
    """Items other than ``item`` with the same OCR text and the same proposal."""
    return [
        other for other in items if other.signature == item.signature and other.index != item.index
    ]


def effective_decisions(decisions: Iterable[Decision]) -> dict[int, Decision]:
    """The decision in force for each word: its highest revision."""
    latest: dict[int, Decision] = {}
    for decision in decisions:
        current = latest.get(decision.index)
        if current is None or decision.revision > current.revision:
            latest[decision.index] = decision
    return latest


def transcript_fingerprint(transcript: Transcript) -> str:
    """A hash identifying the words a transcript was read as, to tell its decisions apart.

    It covers each word's index, OCR text, page and line, in order, and not what review
    changes (final text, action, source, posterior), so applying decisions keeps it; a new
    transcription into the same folder changes it as soon as any word is read differently.
    """
    digest = hashlib.sha256()
    for word in transcript.words:
        page = None if word.page is None else [word.page.index, word.page.page_number]
        row = [word.index, word.ocr_text, page, word.line]
        digest.update(json.dumps(row, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def is_stale(word: TranscriptWord, decision: Decision, fingerprint: str | None = None) -> bool:
    """True when a decision no longer applies to the word.

    Args:
        word: the word the decision is keyed to (by index).
        decision: the decision.
        fingerprint: ``transcript_fingerprint`` of the word's transcript; when given, a
            decision recorded on a different transcript is stale.
    """
    if word.ocr_text != decision.ocr_text:
        return True
    return from_other_transcript(decision, fingerprint)


def from_other_transcript(decision: Decision, fingerprint: str | None) -> bool:
    """True when ``decision`` was made on a transcript other than the one ``fingerprint`` names.

    A decision without a recorded fingerprint, or a ``None`` fingerprint, never counts as
    from another transcript.
    """
    return (
        fingerprint is not None
        and decision.fingerprint is not None
        and decision.fingerprint != fingerprint
    )


def _decided_word(word: TranscriptWord, decision: Decision) -> TranscriptWord:
    if decision.action is DecisionAction.REJECT:
        final, action = word.ocr_text, Action.KEPT
    else:
        final = decision.after
        action = Action.KEPT if final == word.ocr_text else Action.CORRECTED
    return replace(word, final_text=final, action=action, source=Source.REVIEWER, posterior=1.0)


@dataclass(frozen=True, slots=True)
class ApplySummary:
    """Counts of what ``apply_decisions`` did."""

    approved: int = 0
    rejected: int = 0
    edited: int = 0
    skipped: int = 0
    stale: int = 0
    """Decisions whose word is missing, has a different OCR text now, or that were made on
    another transcript of the folder (ignored)."""

    @property
    def applied(self) -> int:
        """Decisions that changed or confirmed a word."""
        return self.approved + self.rejected + self.edited


def in_force(
    transcript: Transcript, decisions: Iterable[Decision]
) -> tuple[dict[int, Decision], int]:
    """The effective decisions that apply to ``transcript``, by word index, and the stale count.

    A decision is stale when its word is missing, has a different OCR text now, or when it
    was made on another transcript (see ``transcript_fingerprint``).
    """
    by_index = {word.index: word for word in transcript.words}
    fingerprint = transcript_fingerprint(transcript)
    current: dict[int, Decision] = {}
    stale = 0
    for index, decision in effective_decisions(decisions).items():
        word = by_index.get(index)
        if word is None or is_stale(word, decision, fingerprint):
            stale += 1
        else:
            current[index] = decision
    return current, stale


def summarize(transcript: Transcript, decisions: Iterable[Decision]) -> ApplySummary:
    """Count what applying ``decisions`` (their effective revisions) to ``transcript`` does."""
    return _summary(*in_force(transcript, decisions))


def _summary(current: Mapping[int, Decision], stale: int) -> ApplySummary:
    counts = dict.fromkeys(DecisionAction, 0)
    for decision in current.values():
        counts[decision.action] += 1
    return ApplySummary(
        approved=counts[DecisionAction.APPROVE],
        rejected=counts[DecisionAction.REJECT],
        edited=counts[DecisionAction.EDIT],
        skipped=counts[DecisionAction.SKIP],
        stale=stale,
    )


def apply_decisions(
    transcript: Transcript, decisions: Iterable[Decision] | Mapping[int, Decision]
) -> Transcript:
    """A new transcript with the reviewer's decisions applied.

    Only the highest revision per word counts. ``skip`` changes nothing; stale decisions
    (word missing, OCR text changed since, or made on another transcript, see
    ``transcript_fingerprint``) are ignored. Applying twice gives the same
    result: a previous ``review`` processing step is replaced, not repeated.
    """
    rows: Iterable[Decision] = decisions.values() if isinstance(decisions, Mapping) else decisions
    current, stale = in_force(transcript, rows)
    summary = _summary(current, stale)
    words = []
    for word in transcript.words:
        decision = current.get(word.index)
        if decision is None or decision.action is DecisionAction.SKIP:
            words.append(word)
        else:
            words.append(_decided_word(word, decision))
    step = ProcessingStep(
        "review",
        f"applied {summary.applied} reviewer decisions",
        {
            "approved": summary.approved,
            "rejected": summary.rejected,
            "edited": summary.edited,
            "skipped": summary.skipped,
            "stale": summary.stale,
        },
    )
    steps = tuple(s for s in transcript.steps if s.stage != "review") + (step,)
    return replace(transcript, words=tuple(words), steps=steps)


def progress(items: Sequence[ReviewItem], decisions: Mapping[int, Decision]) -> tuple[int, int]:
    """``(decided, total)`` over the queue; a skip does not count as decided."""
    decided = sum(
        1
        for item in items
        if item.index in decisions and decisions[item.index].action is not DecisionAction.SKIP
    )
    return decided, len(items)
