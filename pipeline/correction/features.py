"""Features of a proposed change, for the posterior fitted on the calibration split.

The noisy-channel softmax ranks the candidates well but its probability is a poor estimate of
being right: the channel and language model are approximations and their errors are not
independent. Boosted trees (or, without them, a logistic model) over a few features of the
best change (its score margins over "keep" and over the runner-up, channel and context terms,
how word-like the token and the candidate are, the edit mechanism, seen word pairs, symbols
read for letters) turn the ranking into a calibrated posterior. They are fitted on injected
garbles in the ``calib`` split (``scripts/evaluate_correction.py --fit``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pipeline.correction.channel import block_edit
from pipeline.records import Source

FEATURE_NAMES = (
    "bias",
    "margin_keep",
    "margin_next",
    "channel",
    "context",
    "token_spelling",
    "length",
    "burst",
    "drop_insert",
    "confusion",
    "split",
    "token_seen",
    "repeats",
    "candidates",
    "pair",
    "unigram",
    "has_context",
    "letters_added",
    "letters_removed",
    "low_confidence",
    "softmax_logit",
    "garbled_width",
    "intended_width",
    "edit_at_end",
    "context_margin",
    "channel_margin",
    "pair_seen",
    "in_document",
    "rivals",
    "token_valid",
    "spelling_gap",
    "noise_symbols",
)
"""``noise_symbols`` stays last: the fit adjusts its weight apart (``evaluate_correction.py``)."""


@dataclass(frozen=True, slots=True)
class ChangeEvidence:
    """What the scorer knows about the best change of one token."""

    token: str
    candidate: str
    source: Source
    score: float
    keep_score: float
    next_score: float | None
    channel: float
    context: float
    token_spelling: float
    token_seen: bool
    repeats: int
    candidates: int
    unigram: float
    has_context: bool
    confidence: float | None
    probability: float
    """Softmax probability of the candidate among keep and all candidates."""
    next_context: float | None = None
    """Context log probability of the runner-up change."""
    next_channel: float | None = None
    """Channel log probability of the runner-up change."""
    pair_seen: int = 0
    """Neighbours (left, right) that form a counted word pair with the candidate."""
    in_document: bool = False
    """The candidate occurs elsewhere in the same cable."""
    rivals: int = 0
    """Other changes scoring within 2 nats of the best."""
    token_valid: bool = False
    """The token is itself a (rarely seen) dictionary word."""
    candidate_spelling: float | None = None
    """Character-model log probability of the candidate's letters (spaces dropped)."""


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def change_features(e: ChangeEvidence) -> tuple[float, ...]:
    """Feature vector (order of ``FEATURE_NAMES``), each roughly in [-3, 3]."""
    n = len(e.token)
    delta = len(e.candidate.replace(" ", "")) - n
    margin_next = 20.0 if e.next_score is None else e.score - e.next_score
    edit = block_edit(e.token, e.candidate, len(e.token) + len(e.candidate))
    garbled_width = len(edit.garbled) if edit else 0
    intended_width = len(edit.intended.replace(" ", "")) if edit else 0
    at_end = edit is not None and edit.start + len(edit.garbled) == n
    p = min(max(e.probability, 1e-9), 1 - 1e-9)
    return (
        1.0,
        _clip(e.score - e.keep_score, -20.0, 20.0) / 5.0,
        _clip(margin_next, 0.0, 20.0) / 5.0,
        _clip(e.channel, -25.0, 0.0) / 5.0,
        _clip(e.context, -40.0, 0.0) / 10.0,
        _clip(e.token_spelling / (n + 1), -8.0, 0.0),
        min(n, 20) / 10.0,
        float(e.source is Source.BURST),
        float(e.source is Source.DICTIONARY),
        float(e.source is Source.CONFUSION),
        float(e.source is Source.SPLIT_MERGE),
        float(e.token_seen),
        math.log(max(1, min(e.repeats, 5))),
        math.log(1 + e.candidates) / 2.0,
        float(" " in e.candidate),
        _clip(e.unigram, -25.0, 0.0) / 10.0,
        float(e.has_context),
        float(max(delta, 0)),
        float(max(-delta, 0)),
        0.0 if e.confidence is None else 1.0 - e.confidence,
        _clip(math.log(p / (1 - p)), -15.0, 15.0) / 5.0,
        float(min(garbled_width, 6)),
        float(min(intended_width, 6)),
        float(at_end),
        0.0 if e.next_context is None else _clip(e.context - e.next_context, -10.0, 10.0) / 5.0,
        0.0 if e.next_channel is None else _clip(e.channel - e.next_channel, -10.0, 10.0) / 5.0,
        float(e.pair_seen),
        float(e.in_document),
        math.log(1 + e.rivals),
        float(e.token_valid),
        0.0
        if e.candidate_spelling is None
        else _clip((e.candidate_spelling - e.token_spelling) / (n + 1), -3.0, 3.0),
        float(min(sum(not (c.isalnum() or c == " ") for c in e.token), 4)),
    )
