"""Periods read from specks: ``INCENTIVE TO THE. SOVIETS`` has no sentence break after THE.

A speck after a word is read as a period. Whether a sentence can end between two words is
told by cable text: how often the first is followed by a period and the second preceded by
one (``Lexicon.period_after`` / ``period_before``). Only words that practically never end a
sentence are judged (THE, AND, OF, BY: smoothed rate under ``MAX_END_RATE``); verbs and
adverbs do end telegraphic sentences (``AGREED TO.``, ``TO PROMOTE. NEED FOR``). The two
rates, each smoothed towards the corpus rate, are combined as independent evidence into the
probability ``b`` of a sentence break; the period is a speck with posterior
``(1 - b) r / ((1 - b) r + b)``, where ``r`` (``SPECK_RATE``) is how often a speck is read as
a period after a word at all.
"""

from __future__ import annotations

import re

from pipeline.lexicon import Lexicon

SPECK_RATE = 0.003
"""Prior share of word gaps where OCR reads a speck as a period."""
PRIOR_WEIGHT = 5.0
"""Pseudo-count pulling a word's period rates towards the corpus rate."""
MIN_COUNT = 5
"""Both words must have been counted this often in cable text to be judged."""
MAX_END_RATE = 0.0002
"""Smoothed share of a word's occurrences followed by a period, above which it may end a
sentence and is not judged."""

_WORD_PERIOD = re.compile(r"^([\"'(]*)([A-Z]{2,})\.$")
_NEXT_WORD = re.compile(r"^([A-Z]{2,})[.,;:\"')]*$")


def _rate(hits: int, count: int, base: float) -> float:
    return (hits + PRIOR_WEIGHT * base) / (count + PRIOR_WEIGHT)


def _odds(rate: float) -> float:
    return rate / (1.0 - rate)


def speck_period(lexicon: Lexicon, token: str, following: str) -> tuple[str, float] | None:
    """``token`` without its final period and the posterior that the period is a speck.

    Only an all-caps word of two or more letters with one final period that practically
    never ends a sentence (``MAX_END_RATE``; abbreviations such as ``PARA.`` are written
    with their period often enough to be left alone), followed by a bare word (no opening
    bracket or quote), both counted ``MIN_COUNT`` times in cable text, is judged; None
    otherwise.
    """
    match = _WORD_PERIOD.match(token)
    after = _NEXT_WORD.match(following)
    if match is None or after is None or not lexicon.period_after:
        return None
    word, nxt = match.group(2), after.group(1)
    word_count = lexicon.cable_unigrams.get(word, 0)
    next_count = lexicon.cable_unigrams.get(nxt, 0)
    if word_count < MIN_COUNT or next_count < MIN_COUNT:
        return None
    base = min(max(lexicon.period_rate, 1e-6), 0.5)
    ends = _rate(lexicon.period_after.get(word, 0), word_count, base)
    if ends > MAX_END_RATE:
        return None
    starts = _rate(lexicon.period_before.get(nxt, 0), next_count, base)
    odds = _odds(ends) * _odds(starts) / _odds(base)
    brk = odds / (1.0 + odds)
    speck = (1.0 - brk) * SPECK_RATE
    return match.group(1) + word, speck / (speck + brk)
