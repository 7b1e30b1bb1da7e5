"""Context language model: interpolated word bigrams with unigram backoff, and cable triples.

Bigrams come from cable, FRUS-wide and general English counts; triples from the cables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.lexicon import Lexicon


@dataclass(frozen=True, slots=True)
class DocumentCache:
    """Cache language model: word counts of the cable being corrected.

    ``P(w) = P_lm(w) + weight * count(w) / total``: a candidate that occurs elsewhere in the
    same cable (a name, a place, a term of the subject) gains probability.
    """

    counts: Mapping[str, int]
    total: int
    weight: float = 0.1

    def boost(self, word: str, logp: float) -> float:
        """``logp`` of ``word`` mixed with its share of the cable's words."""
        count = self.counts.get(word, 0)
        if not count or self.total <= 0:
            return logp
        return math.log(math.exp(logp) + self.weight * count / self.total)


def sequence_logp(
    lexicon: Lexicon,
    words: list[str],
    left: str | None,
    right: str | None,
    cache: DocumentCache | None = None,
    outer: tuple[str | None, str | None] = (None, None),
) -> float:
    """Log P(words, right, right2 | left2, left) under the interpolated word model.

    Args:
        lexicon: counts.
        words: the hypothesis (one or more upper-case words).
        left: previous word, or None at a paragraph start.
        right: next word, or None at a paragraph end.
        cache: words of the current cable; a word used elsewhere in it is more likely.
        outer: the words before ``left`` and after ``right`` (None when unknown), for the
            triple counts.
    """
    left2, right2 = outer
    logp = 0.0
    previous2, previous = (left2, left) if left is not None else (None, None)
    for word in words:
        if previous is None:
            step = lexicon.unigram_logp(word)
        else:
            step = lexicon.trigram_logp(previous2, previous, word)
        if cache is not None:
            step = cache.boost(word, step)
        logp += step
        previous2, previous = previous, word
    if right is not None:
        logp += lexicon.trigram_logp(previous2, words[-1], right)
        if right2 is not None:
            logp += lexicon.trigram_logp(words[-1], right, right2)
    return logp


def unknown_logp(
    lexicon: Lexicon,
    word: str,
    left: str | None,
    right: str | None,
    novel_prob: float,
    outer: tuple[str | None, str | None] = (None, None),
) -> float:
    """Log P(word, right, right2 | left) for a word that may be outside the vocabulary.

    A novel word costs ``novel_prob`` times the probability of its spelling under the
    character model (a plausible name scores far higher than ``WOUGG``); a word counted in
    any source (a rare name) scores at least its counts' probability, after ``left`` too.
    ``outer`` holds the words before ``left`` and after ``right``.
    """
    logp = math.log(novel_prob) + lexicon.spelling_logp(word)
    seen = lexicon.seen(word)
    if seen:
        counted = lexicon.unigram_logp(word) if left is None else lexicon.bigram_logp(left, word)
        logp = max(logp, counted)
    if right is not None:
        logp += lexicon.bigram_logp(word, right) if seen else lexicon.unigram_logp(right)
        if outer[1] is not None:
            logp += lexicon.trigram_logp(word, right, outer[1])
    return logp
