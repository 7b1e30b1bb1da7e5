"""Candidate generation: block edits against words and word pairs, splits, confusions.

Dictionary words are indexed by (length, first 2, last 2 characters), by
(length, first 3) and (length, last 3), short words also by (length, first, last), so a
garbled token finds the entries it can reach by one contiguous block edit of up to
``max_block`` characters (teletype bursts, dropped and inserted runs, substitutions, omitted
spaces) without scanning the dictionary. A burst that
swallowed the space between two words is matched against word pairs assembled from words
indexed without their last (first) few letters, so the pair need not have been seen together.
Edits scattered over a word (two OCR misreadings apart: ``G0VERNMFNT``, a transposition)
come from SymSpell (``symspellpy``) on the same words, up to ``max_distance`` edits.
"""

from __future__ import annotations

import contextlib
import gc
import heapq
import io
import itertools
import math
import os
import pickle
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from symspellpy import SymSpell, Verbosity

from pipeline.correction.channel import (
    DIGIT_TO_LETTER,
    SINGLE_CONFUSIONS,
    token_channels,
)
from pipeline.lexicon import DataOnlyUnpickler, Lexicon
from pipeline.records import Source
from pipeline.resources import cache_dir

MIN_PAIR_COUNT = 2
"""Word pairs need at least this many occurrences (cable, FRUS-wide, English) to be targets."""
SPLIT_LOGP = math.log(0.02)
"""Channel log probability of one omitted space."""


SCATTERED_LOGP = math.log(0.002)
"""Channel log probability of each edit of a SymSpell reading no single block explains."""
SPELL_MIN_LENGTH = 5
"""Shortest word SymSpell looks up and proposes (shorter ones are a few edits from too many)."""
SPELL_MAX_DISTANCE = 2
"""Edit distance the SymSpell index is built for (lookups may ask for less)."""

SMALL_PRODUCT = 40
"""Word pairs across a burst are all kept when at most this many combine; else seen pairs."""
FOLLOWERS = 3
"""Most frequent followers of a word kept per length (a burst that ate a short next word)."""
MAX_FOLLOWER_LENGTH = 4
MIN_FOLLOWER_COUNT = 3
SHORT = 5
"""Words this short are also indexed by their first and last two letters alone."""
NOISE_LOGP = math.log(0.1)
"""Channel log probability of one noise character (a letter read as a symbol: ``WI!L``)."""
NOISE_FEWER_LOGP = math.log(0.3)
"""Each noise character beyond the letters it stands for (``#.`` read for one ``A``)."""
NOISE_MORE_LOGP = math.log(0.05)
"""Each letter beyond the noise characters standing for it."""
MAX_NOISE = 4
"""Tokens with more noise characters than this are left alone."""
_NOT_NOISE = frozenset("-'/ ,\"()[]{}<>\u2010\u2013\u2014\u2018\u2019\u201c\u201d\u2026")
"""Structure, never a letter misread: hyphens and dashes, apostrophes and quotes, slashes
(S/S), brackets, commas between words (``UK,CANADA``), ellipses, spaces."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """An intended reading of a garbled token with its channel log probability."""

    text: str
    """Upper case; words of a split separated by one space."""
    channel: float
    source: Source


class CandidateIndex:
    """Index of the lexicon's words for block-edit and burst-across-space lookups."""

    def __init__(self, entries: Iterable[str], max_cut: int = 3) -> None:
        self.middle: dict[tuple[int, str, str], list[str]] = {}
        self.head: dict[tuple[int, str], list[str]] = {}
        self.tail: dict[tuple[int, str], list[str]] = {}
        self.ends: dict[tuple[int, str, str], list[str]] = {}
        self.short_head: dict[tuple[int, str], list[str]] = {}
        """Words of at most ``SHORT`` letters by (length, first 2)."""
        self.short_tail: dict[tuple[int, str], list[str]] = {}
        """Words of at most ``SHORT`` letters by (length, last 2)."""
        self.cut_end: dict[tuple[str, int], list[str]] = {}
        """(word without its last d letters, word length) -> words, d = 0..max_cut."""
        self.cut_start: dict[tuple[str, int], list[str]] = {}
        """(word without its first d letters, word length) -> words, d = 0..max_cut."""
        self._followers: dict[tuple[str, int, str], list[str]] | None = None
        self._next: dict[str, frozenset[str]] | None = None
        self._previous: dict[str, frozenset[str]] | None = None
        self.long_head: dict[int, dict[tuple[int, str], list[str]]] = {4: {}, 5: {}}
        """k -> (length, first k letters) -> words of more than k + 1 letters."""
        self.long_tail: dict[int, dict[tuple[int, str], list[str]]] = {4: {}, 5: {}}
        """k -> (length, last k letters) -> words of more than k + 1 letters."""
        self.priors: dict[str, float] = {}
        """Word -> its unigram log probability (``Lexicon.unigram_logp``), set by
        ``candidate_index`` for the weights in ``prior_weights``."""
        self.prior_weights: tuple[float, ...] = ()
        self.spell_state: bytes = b""
        """symspellpy's own pickle of the SymSpell index (``spell_index``), kept with the rest."""
        by_length: dict[int, list[str]] = {}
        for entry in entries:
            n = len(entry)
            by_length.setdefault(n, []).append(entry)
            for k, table in self.long_head.items():
                if n > k + 1:
                    table.setdefault((n, entry[:k]), []).append(entry)
                    self.long_tail[k].setdefault((n, entry[-k:]), []).append(entry)
            if n <= 9:
                self.ends.setdefault((n, entry[0], entry[-1]), []).append(entry)
            if n <= SHORT:
                self.short_head.setdefault((n, entry[:2]), []).append(entry)
                self.short_tail.setdefault((n, entry[-2:]), []).append(entry)
            self.middle.setdefault((n, entry[:2], entry[-2:]), []).append(entry)
            self.head.setdefault((n, entry[:3]), []).append(entry)
            self.tail.setdefault((n, entry[-3:]), []).append(entry)
            for d in range(0, min(max_cut, n - 1) + 1):
                self.cut_end.setdefault((entry[: n - d], n), []).append(entry)
                self.cut_start.setdefault((entry[d:], n), []).append(entry)
        self.by_length = {n: "\n".join(sorted(words)) for n, words in by_length.items()}
        """Length -> the words of that length, one newline-separated string (regex scans)."""

    def follower_table(self, lexicon: Lexicon) -> dict[tuple[str, int, str], list[str]]:
        """(word, length, last letter or "") -> its most frequent followers so shaped."""
        if self._followers is None:
            self._followers = _follower_table(lexicon)
        return self._followers

    def next_table(self, lexicon: Lexicon) -> dict[str, frozenset[str]]:
        """Word -> the words seen after it (cable, FRUS-wide or English bigrams)."""
        if self._next is None:
            self._build_pair_tables(lexicon)
        assert self._next is not None
        return self._next

    def previous_table(self, lexicon: Lexicon) -> dict[str, frozenset[str]]:
        """Word -> the words seen before it (cable, FRUS-wide or English bigrams)."""
        if self._previous is None:
            self._build_pair_tables(lexicon)
        assert self._previous is not None
        return self._previous

    def _build_pair_tables(self, lexicon: Lexicon) -> None:
        after: dict[str, set[str]] = {}
        before: dict[str, set[str]] = {}
        for counts in (lexicon.cable_bigrams, lexicon.frus_bigrams, lexicon.english_bigrams):
            for pair in counts:
                first, _, second = pair.partition(" ")
                after.setdefault(first, set()).add(second)
                before.setdefault(second, set()).add(first)
        self._next = {w: frozenset(words) for w, words in after.items()}
        self._previous = {w: frozenset(words) for w, words in before.items()}

    def near(self, token: str, max_block: int) -> set[str]:
        """Words that may be one block of ``max_block`` characters away (unverified)."""
        found: set[str] = set()
        n = len(token)
        for length in range(max(2, n - max_block), n + max_block + 1):
            found.update(self.middle.get((length, token[:2], token[-2:]), ()))
            # Found by its start (end) alone, a word shares no 2-letter end (start) with the
            # token, so the block leaves at least max(n, length) - max_block - 1 letters at
            # the start (end): a longer key is then exact.
            k = min(5, max(n, length) - max_block - 1)
            if k >= 4:
                found.update(self.long_head[k].get((length, token[:k]), ()))
                found.update(self.long_tail[k].get((length, token[-k:]), ()))
            else:
                found.update(self.head.get((length, token[:3]), ()))
                found.update(self.tail.get((length, token[-3:]), ()))
            # Only first and last letter shared: both sides of the block span the rest.
            if n <= max_block + 3 and length <= max_block + 3:
                found.update(self.ends.get((length, token[0], token[-1]), ()))
        if n <= SHORT:
            # A burst over half a short word leaves only its first or last two letters.
            found.update(self.short_head.get((n, token[:2]), ()))
            found.update(self.short_tail.get((n, token[-2:]), ()))
        return found


def _follower_table(lexicon: Lexicon) -> dict[tuple[str, int, str], list[str]]:
    """(word, length of next word, its last letter or "") -> most frequent next words."""
    table: dict[tuple[str, int, str], list[tuple[int, str]]] = {}

    def push(key: tuple[str, int, str], count: int, word: str) -> None:
        top = table.get(key)
        if top is None:
            table[key] = [(count, word)]
        elif len(top) < FOLLOWERS or count > top[-1][0]:
            top.append((count, word))
            top.sort(reverse=True)
            del top[FOLLOWERS:]

    for counts in (lexicon.cable_bigrams, lexicon.frus_bigrams, lexicon.english_bigrams):
        for pair, count in counts.items():
            if count < MIN_FOLLOWER_COUNT:
                continue
            first, _, second = pair.partition(" ")
            if len(second) <= MAX_FOLLOWER_LENGTH and second.isalpha():
                push((first, len(second), ""), count, second)
                push((first, len(second), second[-1]), count, second)
    return {key: [w for _, w in top] for key, top in table.items()}


def pairs_across_space(
    token: str, index: CandidateIndex, max_block: int, lexicon: Lexicon
) -> set[str]:
    """Word pairs ``W1 W2`` whose joint reading lost its space inside a burst.

    ``token`` = intact start of W1 + burst + intact end of W2, where the burst replaced the
    last ``d1`` letters of W1, the space and the first ``d2`` letters of W2 with ``x``
    characters (length kept, ``x = d1 + 1 + d2``, or the space vanished, ``x = d1 + d2``),
    ``d1 + d2 + 1 <= max_block``. When many words fit both sides, only pairs seen in the
    cable, FRUS-wide or English bigrams are kept (looked up from whichever side has fewer
    words). When one letter of W2 is left (``OF`` in
    ``MAJORITYKRF``) or none (the burst ran to the end of the token, ``NUMBERMTR`` =
    ``NUMBER OF``), W2 is one of the most frequent followers of W1 with the right length
    (and last letter).
    """
    known_pairs, english_pairs = lexicon.cable_bigrams, lexicon.english_bigrams
    frus_pairs = lexicon.frus_bigrams
    followers = index.follower_table(lexicon).get
    next_words = index.next_table(lexicon).get
    previous_words = index.previous_table(lexicon).get
    cut_end, cut_start = index.cut_end.get, index.cut_start.get
    none: list[str] = []
    nothing: frozenset[str] = frozenset()
    found: set[str] = set()
    add = found.add
    n = len(token)
    for k in range(1, n - 1):
        start = token[:k]
        for d1 in range(0, max_block):
            heads = cut_end((start, k + d1))
            if not heads:
                continue
            head_set: frozenset[str] | None = None
            if n - k <= max_block:
                for d2 in (n - k - d1 - 1, n - k - d1):
                    if d2 < 1 or d2 > 3 or d1 + 1 + d2 > max_block + 1:
                        continue
                    for head in heads:
                        for tail in followers((head, d2, ""), none):
                            add(f"{head} {tail}")
            for d2 in range(0, max_block - d1):
                for x in (d1 + 1 + d2, d1 + d2):
                    rest = token[k + x :]
                    if x == 0 or not rest:
                        continue
                    if len(rest) == 1:
                        for head in heads:
                            for tail in followers((head, d2 + 1, rest), none):
                                add(f"{head} {tail}")
                        continue
                    tails = cut_start((rest, len(rest) + d2))
                    if not tails:
                        continue
                    if len(heads) * len(tails) <= SMALL_PRODUCT:
                        found.update([f"{head} {tail}" for head in heads for tail in tails])
                        continue
                    if len(tails) < len(heads):
                        if head_set is None:
                            head_set = frozenset(heads)
                        for tail in tails:
                            before = previous_words(tail, nothing)
                            if before:
                                found.update([f"{h} {tail}" for h in head_set.intersection(before)])
                        continue
                    for head in heads:
                        after = next_words(head, nothing)
                        if len(after) < len(tails):
                            if after:
                                found.update([f"{head} {t}" for t in after.intersection(tails)])
                            continue
                        for tail in tails:
                            pair = f"{head} {tail}"
                            if pair in known_pairs or pair in frus_pairs or pair in english_pairs:
                                add(pair)
    return found


def _entries(lexicon: Lexicon) -> Iterable[str]:
    valid = lexicon.is_valid
    for source in (lexicon.cable_unigrams, lexicon.english_unigrams, lexicon.user_words):
        for word in source:
            if len(word) >= 2 and word.isalpha() and valid(word):
                yield word
    for word in lexicon.vocabulary | lexicon.names:
        if len(word) >= 2 and word.isalpha():
            yield word
    for word in ("A", "I"):
        yield word


INDEX_CACHE_VERSION = 6
"""Bump when ``CandidateIndex`` changes, so stale cached indexes are rebuilt."""


def _index_cache_file(lexicon: Lexicon) -> Path | None:
    key = lexicon.cache.get("source_key")
    if not isinstance(key, str):
        return None
    return cache_dir() / f"candidate-index-v{INDEX_CACHE_VERSION}-{key}.pickle"


def _load_cached_index(path: Path) -> CandidateIndex | None:
    """The index saved by an earlier process, or ``None`` when absent or unreadable."""
    try:
        data = path.read_bytes()
        gc.disable()  # millions of small containers: collection passes would triple the time
        try:
            state = DataOnlyUnpickler(io.BytesIO(data)).load()
        finally:
            gc.enable()
        index = CandidateIndex(())
        if not isinstance(state, dict) or set(state) != set(vars(index)):
            return None
        vars(index).update(state)
        return index
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError):
        return None


def _save_index(path: Path, index: CandidateIndex) -> None:
    """Keep the index for later processes; a failure only costs the next one a rebuild."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as handle:
            pickle.dump(vars(index), handle, protocol=5)
        tmp.replace(path)
    except OSError:
        return
    prune_index_cache(path.parent)


KEPT_INDEXES = 3
"""Cached indexes kept (~40 MB each): the dictionaries change with every taught word."""


def prune_index_cache(folder: Path, keep: int = KEPT_INDEXES) -> None:
    """Delete all but the ``keep`` most recently written cached indexes in ``folder``."""
    try:
        found = [(p.stat().st_mtime_ns, p) for p in folder.glob("candidate-index-v*.pickle")]
    except OSError:
        return
    for _, stale in sorted(found, reverse=True)[keep:]:
        with contextlib.suppress(OSError):
            stale.unlink()


def candidate_index(lexicon: Lexicon) -> CandidateIndex:
    """The lexicon's index: kept on the lexicon, and on disk for later processes.

    Building it (with the SymSpell index's copy) takes 3-5 s; a cached copy in
    ``pipeline.resources.cache_dir()``, keyed by the dictionary files' sizes and modification
    times, loads in ~0.7 s.
    """
    index = lexicon.cache.get("candidates")
    if isinstance(index, CandidateIndex):
        return index
    cached = _index_cache_file(lexicon)
    index = _load_cached_index(cached) if cached is not None and cached.is_file() else None
    if index is None or tuple(index.prior_weights) != tuple(lexicon.weights):
        entries = set(_entries(lexicon))
        index = CandidateIndex(entries)
        index.follower_table(lexicon)  # build the pair tables now, not mid-cable
        index.next_table(lexicon)
        index.priors = {word: lexicon.unigram_logp(word) for word in entries}
        index.prior_weights = tuple(lexicon.weights)
        spell = _build_spell(lexicon, entries)
        index.spell_state = spell.save_pickle(to_bytes=True, compressed=False) or b""
        lexicon.cache["symspell"] = spell
        if cached is not None:
            _save_index(cached, index)
    lexicon.cache["candidates"] = index
    # The lexicon and the index are millions of long-lived containers: kept out of the cyclic
    # collector's passes, which would otherwise rescan them while candidates are scored.
    gc.freeze()
    return index


def _build_spell(lexicon: Lexicon, entries: Iterable[str]) -> SymSpell:
    """SymSpell over attested words of ``SPELL_MIN_LENGTH`` letters or more (~0.5 s).

    Attested: seen in cable or FRUS-wide text, cable vocabulary, names, taught words. Words
    known only from the English list are left out: as targets of scattered edits they fixed
    nothing more on the calibration split and tripled the build time.
    """
    spell = SymSpell(max_dictionary_edit_distance=SPELL_MAX_DISTANCE, prefix_length=7)
    cable, frus = lexicon.cable_unigrams, lexicon.frus_unigrams
    listed = lexicon.vocabulary | lexicon.names | lexicon.user_words.keys()
    for word in sorted(entries):
        if len(word) >= SPELL_MIN_LENGTH and (word in cable or word in frus or word in listed):
            spell.create_dictionary_entry(word, 1)
    return spell


class _SpellUnpickler(DataOnlyUnpickler):
    """Admits what symspellpy's pickle holds besides data: its ``defaultdict(list)``."""

    def find_class(self, module: str, name: str) -> Any:
        """Only ``collections.defaultdict`` and ``list``; refuse everything else."""
        if (module, name) in (("collections", "defaultdict"), ("builtins", "list")):
            return super(DataOnlyUnpickler, self).find_class(module, name)
        return super().find_class(module, name)


def spell_index(lexicon: Lexicon) -> SymSpell:
    """The lexicon's SymSpell index: restored from the candidate index's copy, else built."""
    spell = lexicon.cache.get("symspell")
    if isinstance(spell, SymSpell):
        return spell
    spell = SymSpell(max_dictionary_edit_distance=SPELL_MAX_DISTANCE, prefix_length=7)
    state = candidate_index(lexicon).spell_state
    gc.disable()  # hundreds of thousands of small lists: collection passes would double it
    try:
        _SpellUnpickler(io.BytesIO(state)).load()  # only then let symspellpy unpickle it
        restored = spell.load_pickle(state, compressed=False, from_bytes=True)
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError):
        restored = False
    finally:
        gc.enable()
    if not restored:
        spell = _build_spell(lexicon, set(_entries(lexicon)))
    lexicon.cache["symspell"] = spell
    return spell


def scattered(token: str, lexicon: Lexicon, max_distance: int) -> list[Candidate]:
    """Words up to ``max_distance`` edits (Damerau-Levenshtein) from ``token``, by SymSpell."""
    if max_distance < 1 or len(token) < SPELL_MIN_LENGTH:
        return []
    distance = min(max_distance, SPELL_MAX_DISTANCE)
    found = spell_index(lexicon).lookup(
        token, Verbosity.ALL, max_edit_distance=distance, transfer_casing=False
    )
    return [
        Candidate(item.term, item.distance * SCATTERED_LOGP, Source.DICTIONARY)
        for item in found
        if item.distance > 0
    ]


def _splits(token: str, lexicon: Lexicon) -> list[Candidate]:
    found = []
    for k in range(2, len(token) - 1):
        left, right = token[:k], token[k:]
        if lexicon.is_valid(left) and lexicon.is_valid(right):
            found.append(Candidate(f"{left} {right}", SPLIT_LOGP, Source.SPLIT_MERGE))
    return found


def _confusion_variants(token: str, lexicon: Lexicon, max_distance: int = 0) -> list[Candidate]:
    """Digits read for letters (C0NSULTATIONS, WOU1D): every mapping of the digits.

    When no mapping is a word, SymSpell's readings of the first all-letter one are added
    (``G0VERNMFNT``: a digit and a letter misread apart).
    """
    if not any(c.isdigit() for c in token):
        return []
    options = [DIGIT_TO_LETTER.get(c, c) if c.isdigit() else c for c in token]
    found = []
    unknown: Candidate | None = None
    for letters in itertools.islice(itertools.product(*options), 64):
        mapped = "".join(letters)
        if not mapped.isalpha():
            continue
        logp = sum(
            math.log(SINGLE_CONFUSIONS.get((c, m), 0.05))
            for c, m in zip(token, mapped, strict=True)
            if c != m
        )
        if lexicon.is_valid(mapped):
            found.append(Candidate(mapped, logp, Source.CONFUSION))
        elif unknown is None:
            unknown = Candidate(mapped, logp, Source.CONFUSION)
    if not found and unknown is not None:
        for candidate in scattered(unknown.text, lexicon, max_distance):
            found.append(
                Candidate(candidate.text, unknown.channel + candidate.channel, unknown.source)
            )
    return found


def is_noisy(core: str) -> bool:
    """True for an upper-case word with symbols read for letters (``GOV#RNMENT``, ``WI!.L``).

    The core (leading and trailing punctuation already split off) has at least 3 letters, all
    capitals A-Z, no digits and no structural punctuation (``_NOT_NOISE``), at most
    ``MAX_NOISE`` other characters, and at least one of them is not a period: ``U.S`` and
    ``E.G`` stay abbreviations, and a period counts as noise only beside another symbol.
    """
    if any(c in _NOT_NOISE or (c.isalnum() and not "A" <= c <= "Z") for c in core):
        return False
    noise = [c for c in core if not c.isalpha()]
    letters = len(core) - len(noise)
    return (
        0 < len(noise) <= MAX_NOISE
        and letters >= 3
        and letters > len(noise)
        and any(c != "." for c in noise)
    )


def noise_variants(token: str, lexicon: Lexicon) -> list[Candidate]:
    """Words a noisy token may be: each run of k symbols stands for 0 to 2k letters.

    The channel charges ``NOISE_LOGP`` per symbol plus a length term per run (fewer letters
    than symbols is common, ``#.`` for ``A``; more letters is rarer), the same for every
    symbol: which symbol stands for which letter is not modelled.
    """
    runs = re.findall(r"[A-Z]+|[^A-Z]+", token)
    noise = [len(r) for r in runs if not r[0].isalpha()]
    letters = len(token) - sum(noise)
    pattern = re.compile(
        "^"
        + "".join(re.escape(r) if r[0].isalpha() else f"([A-Z]{{0,{2 * len(r)}}})" for r in runs)
        + "$",
        re.MULTILINE,
    )
    table = candidate_index(lexicon).by_length
    found = []
    for length in range(letters, letters + 2 * sum(noise) + 1):
        words = table.get(length)
        if not words:
            continue
        for match in pattern.finditer(words):
            logp = 0.0
            for k, group in zip(noise, match.groups(), strict=True):
                m = len(group)
                logp += k * NOISE_LOGP
                logp += (k - m) * NOISE_FEWER_LOGP if m <= k else (m - k) * NOISE_MORE_LOGP
            found.append(Candidate(match.group(0), logp, Source.CONFUSION))
    return found


def generate(
    token: str,
    lexicon: Lexicon,
    max_block: int,
    limit: int | None = None,
    max_distance: int = 0,
) -> list[Candidate]:
    """Candidates for an unknown (or rarely seen) upper-case token, best channel x prior first.

    With ``limit``, only the best ``limit`` of them (the prior of a candidate is computed only
    while its channel can still bring it into the best ``limit``). ``max_distance`` above 0
    adds SymSpell's readings that no single block edit explains (``scattered``).
    """
    best: dict[str, tuple[float, Source]] = {}

    def add(candidate: Candidate) -> None:
        old = best.get(candidate.text)
        if old is None or candidate.channel > old[0]:
            best[candidate.text] = (candidate.channel, candidate.source)

    for candidate in _confusion_variants(token, lexicon, max_distance):
        add(candidate)
    if is_noisy(token):
        for candidate in noise_variants(token, lexicon):
            add(candidate)
    index = candidate_index(lexicon)
    if token.isalpha():
        rare = lexicon.is_rare(token)
        entries = index.near(token, max_block)
        if rare:
            # A rare word that may be a garble of another: only a common word (one word)
            # is worth the change.
            entries &= _common_words(lexicon)
        elif len(token) >= 5:
            entries |= pairs_across_space(token, index, max_block, lexicon)
        for entry, logp, source in token_channels(token, entries, max_block):
            old = best.get(entry)
            if old is None or logp > old[0]:
                best[entry] = (logp, source)
        for candidate in _splits(token, lexicon):
            add(candidate)
        if not rare:
            for candidate in scattered(token, lexicon, max_distance):
                if candidate.text not in best:
                    best[candidate.text] = (candidate.channel, candidate.source)
    by_channel = sorted(best.items(), key=lambda item: -item[1][0])
    priors = index.priors
    if limit is None or len(by_channel) <= limit:
        ranked = sorted(
            by_channel, key=lambda item: -(item[1][0] + _prior(item[0], lexicon, priors))
        )
        return [Candidate(text, logp, source) for text, (logp, source) in ranked]
    ceiling = lexicon.cache.get("prior_ceiling")
    if not isinstance(ceiling, float):
        ceiling = lexicon.unigram_ceiling()
        lexicon.cache["prior_ceiling"] = ceiling
    kept: list[tuple[float, int]] = []  # min-heap of the best ``limit`` (score, -position)
    for position, (text, (logp, _)) in enumerate(by_channel):
        if len(kept) == limit and logp + ceiling < kept[0][0]:
            break  # no later candidate (lower channel) can reach the best ``limit``
        item = (logp + _prior(text, lexicon, priors), -position)
        if len(kept) < limit:
            heapq.heappush(kept, item)
        elif item > kept[0]:
            heapq.heapreplace(kept, item)
    chosen = (by_channel[-position] for _, position in sorted(kept, reverse=True))
    return [Candidate(text, logp, source) for text, (logp, source) in chosen]


COMMON_COUNT = 10
"""Words counted this often in cable and FRUS-wide text are common: a rare word's targets."""


def _common_words(lexicon: Lexicon) -> frozenset[str]:
    words = lexicon.cache.get("common_words")
    if not isinstance(words, frozenset):
        counts: dict[str, int] = dict(lexicon.frus_unigrams)
        for word, count in lexicon.cable_unigrams.items():
            counts[word] = counts.get(word, 0) + count
        words = frozenset(w for w, n in counts.items() if n >= COMMON_COUNT and lexicon.is_valid(w))
        lexicon.cache["common_words"] = words
    return words


def _prior(text: str, lexicon: Lexicon, priors: dict[str, float]) -> float:
    total = 0.0
    for word in text.split(" "):
        value = priors.get(word)
        total += lexicon.unigram_logp(word) if value is None else value
    return total
