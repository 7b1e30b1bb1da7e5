"""Context language model: word bigrams (cable + general English) with unigram backoff."""

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
) -> float:
    """Log P(words, right | left) under the interpolated bigram model.

    Args:
        lexicon: counts.
        words: the hypothesis (one or more upper-case words).
        left: previous word, or None at a paragraph start.
        right: next word, or None at a paragraph end.
        cache: words of the current cable; a word used elsewhere in it is more likely.
    """
    logp = 0.0
    previous = left
    for word in words:
        step = (
            lexicon.unigram_logp(word) if previous is None else lexicon.bigram_logp(previous, word)
        )
        if cache is not None:
            step = cache.boost(word, step)
        logp += step
        previous = word
    if right is not None:
        logp += lexicon.bigram_logp(words[-1], right)
    return logp


def unknown_logp(
    lexicon: Lexicon, word: str, left: str | None, right: str | None, novel_prob: float
) -> float:
    """Log P(word, right | left) for a word that may be outside the vocabulary.

    A novel word costs ``novel_prob`` times the probability of its spelling under the
    character model (a plausible name scores far higher than ``WOUGG``); the right neighbour
    backs off to its unigram.
    """
    logp = math.log(novel_prob) + lexicon.spelling_logp(word)
    if word in lexicon.cable_unigrams or word in lexicon.english_unigrams:
        logp = max(logp, lexicon.unigram_logp(word))
    if right is not None:
        logp += lexicon.unigram_logp(right)
    return logp
