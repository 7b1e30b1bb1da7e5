"""Dictionaries for correction: word, pair and triple counts, cable vocabulary, protected tokens.

Built by ``scripts/build_dictionaries.py`` into ``dictionaries/lexicon.pkl.gz`` (a data-only
pickle read with a restricted unpickler) plus ``calibration.json``. Review teaches later runs
through ``user_words.txt`` (valid words) and ``protected.txt`` (never corrected).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import math
import pickle
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.config import CorrectionConfig
from pipeline.errors import DictionaryError
from pipeline.resources import data_path, user_data_dir

LEXICON_FILE = "lexicon.pkl.gz"
CALIBRATION_FILE = "calibration.json"
FORMAT_VERSION = 2
_COUNT_KEYS = ("cable_unigrams", "cable_bigrams", "english_unigrams", "english_bigrams")


_SUFFIXES = (
    "IZATION",
    "IZATIONS",
    "IZING",
    "IZED",
    "IZES",
    "IZE",
    "ISM",
    "ISMS",
    "IST",
    "ISTS",
    "ITY",
    "NESS",
    "MENT",
    "MENTS",
    "LY",
    "S",
    "ED",
    "ING",
)
"""Productive English suffixes: a known word plus one of these is a plausible word."""
_VOWELS = frozenset("AEIOU")
_Y_TO_I = frozenset({"ED", "LY", "NESS", "MENT"})
"""Suffixes after which a final Y is spelt I (STUDIED, HAPPILY); a plural is -IES, not -IS."""
_PREFIXES = (
    "NON",
    "UN",
    "ANTI",
    "COUNTER",
    "INTER",
    "MULTI",
    "SEMI",
    "SUPER",
    "TRANS",
    "POST",
    "PRE",
    "RE",
    "SUB",
)
"""Productive English prefixes."""


SOURCE_WEIGHTS = (0.45, 0.35, 0.2)
"""Weights of the cable, FRUS-wide and English counts in the word models (without FRUS-wide
counts: cable 0.7, English 0.3)."""
BIGRAM_MU = 300.0
"""Dirichlet prior weight of the unigram in each source's bigram model."""
TRIGRAM_BETA = 100.0
"""Weight of the bigram model as the prior of the cable triple counts."""
RARE_COUNT = 2
"""Valid words counted at most this often in cable and FRUS-wide text are checked."""
RARE_MAX_LENGTH = 6
"""Words this short are checked so (a longer word is, when also rare in English)."""
RARE_ENGLISH_COUNT = 100_000
"""English count below which a longer word barely seen in cables is rare (``STABLISH``: a
dropped letter of ESTABLISH; about a third of the English list lies below)."""


class DataOnlyUnpickler(pickle.Unpickler):
    """Unpickler that refuses every class: only dicts, lists, strings and numbers load."""

    def find_class(self, module: str, name: str) -> Any:
        """Refuse to load any class or function."""
        raise pickle.UnpicklingError(f"forbidden object {module}.{name}")


TREE_SHARE = 0.5
"""Weight of the boosted trees' log odds against the logistic model's in the posterior."""
Tree = float | tuple[int, float, "Tree", "Tree"]
"""A regression tree: a leaf value, or (feature index, threshold, below, at or above)."""


def tree_value(tree: Tree, features: Sequence[float]) -> float:
    """The leaf value ``features`` reach in ``tree``."""
    while not isinstance(tree, float):
        j, threshold, below, above = tree
        tree = below if features[j] < threshold else above
    return tree


def _tree(data: Any) -> Tree:
    if isinstance(data, list):
        return (int(data[0]), float(data[1]), _tree(data[2]), _tree(data[3]))
    return float(data)


def _sigmoid(z: float) -> float:
    """``1 / (1 + exp(-z))`` with ``z`` clipped to [-30, 30]."""
    z = min(max(z, -30.0), 30.0)
    return 1.0 / (1.0 + math.exp(-z))


@dataclass(frozen=True, slots=True)
class Calibration:
    """Platt scaling of a raw posterior: ``sigmoid(a * logit(p) + b)``.

    ``weights`` (optional) is a logistic model over a proposed change's features
    (``pipeline.correction.features``): when present, the posterior of a word-level change
    is ``sigmoid(weights . features)`` instead of the scaled softmax. ``trees`` (optional,
    with ``base``) are boosted trees over the same features, log odds
    ``base + sum of the trees' values``; with both, ``posterior`` averages the two.
    """

    a: float = 1.0
    b: float = 0.0
    weights: tuple[float, ...] = ()
    base: float = 0.0
    trees: tuple[Tree, ...] = ()

    def posterior(self, features: tuple[float, ...]) -> float:
        """Posterior of a change with these features.

        With both models fitted, their log odds are averaged (``TREE_SHARE`` for the trees):
        the ensemble is better calibrated than either model alone.
        """
        if not self.trees:
            return self.logistic(features)
        z = self.base + sum(tree_value(tree, features) for tree in self.trees)
        if self.weights:
            linear = sum(w * f for w, f in zip(self.weights, features, strict=True))
            z = TREE_SHARE * z + (1.0 - TREE_SHARE) * linear
        return _sigmoid(z)

    def logistic(self, features: tuple[float, ...]) -> float:
        """``sigmoid(weights . features)``; requires ``len(features) == len(weights)``."""
        return _sigmoid(sum(w * f for w, f in zip(self.weights, features, strict=True)))

    def __call__(self, p: float) -> float:
        """Calibrated probability for raw probability ``p``."""
        p = min(max(p, 1e-9), 1 - 1e-9)
        z = self.a * math.log(p / (1 - p)) + self.b
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)


@dataclass(slots=True)
class Lexicon:
    """Counts and word lists the corrector ranks candidates with (upper-case keys)."""

    cable_unigrams: Mapping[str, int]
    cable_bigrams: Mapping[str, int]
    english_unigrams: Mapping[str, int]
    english_bigrams: Mapping[str, int]
    vocabulary: frozenset[str] = frozenset()
    """Cable vocabulary (TAGS, acronyms, routing indicators, telegraphese): never changed."""
    names: frozenset[str] = frozenset()
    """Proper names seen in the cable corpus: valid words."""
    protected: frozenset[str] = frozenset()
    """Tokens never corrected (review rejections)."""
    user_words: Mapping[str, int] = field(default_factory=dict)
    """Words approved in review: valid words."""
    calibration: Calibration = field(default_factory=Calibration)
    cable_total: int = 1
    english_total: int = 1
    english_left: Mapping[str, int] = field(default_factory=dict)
    """Sum of English bigram counts by first word."""
    char_grams: Mapping[str, float] = field(default_factory=dict)
    """Spelling model: log P(last character | the others) of each seen character n-gram
    (Witten-Bell interpolated over word types; ``^`` pads a word's start, ``$`` ends it)."""
    char_backoff: Mapping[str, float] = field(default_factory=dict)
    """Spelling model: log weight each seen history leaves to the shorter history."""
    char_order: int = 4
    char_alphabet: int = 27
    """Spelling model: characters of its base distribution (A-Z and the end of a word)."""
    frus_unigrams: Mapping[str, int] = field(default_factory=dict)
    """FRUS-wide word counts (memoranda and telegrams; held-out telegrams subtracted)."""
    frus_bigrams: Mapping[str, int] = field(default_factory=dict)
    """FRUS-wide word pair counts (pairs seen at least 3 times)."""
    frus_total: int = 1
    cable_trigrams: Mapping[str, int] = field(default_factory=dict)
    """Cable word triple counts (triples seen at least twice)."""
    period_after: Mapping[str, int] = field(default_factory=dict)
    """Times each word is followed by a period in cable text."""
    period_before: Mapping[str, int] = field(default_factory=dict)
    """Times a period precedes each word in cable text."""
    weights: tuple[float, float, float] = (0.7, 0.0, 0.3)
    """Interpolation weights of the cable, FRUS-wide and English models."""
    cache: dict[str, object] = field(default_factory=dict)
    """Structures built on first use (the candidate index)."""

    period_rate: float = field(init=False, default=0.0)
    """Share of cable words followed by a period."""

    def __post_init__(self) -> None:
        self.cable_total = max(1, sum(self.cable_unigrams.values()))
        self.period_rate = sum(self.period_after.values()) / self.cable_total
        self.english_total = max(1, sum(self.english_unigrams.values()))
        self.frus_total = max(1, sum(self.frus_unigrams.values()))
        if self.frus_unigrams:
            self.weights = SOURCE_WEIGHTS

    def spelling_logp(self, word: str) -> float:
        """Log P(word's characters, then its end) under the character n-gram model."""
        order = self.char_order
        padded = "^" * (order - 1) + word + "$"
        return sum(
            self.char_logp(padded[i - order + 1 : i], padded[i])
            for i in range(order - 1, len(padded))
        )

    def char_logp(self, history: str, char: str) -> float:
        """Log P(char | history) of the spelling model (``^`` pads a word's start, ``$`` ends it).

        An n-gram never seen backs off to the shorter history, with that history's weight; a
        character never seen at all has the base probability ``1 / char_alphabet``.
        """
        grams, backoff = self.char_grams, self.char_backoff
        logp = 0.0
        while True:
            found = grams.get(history + char)
            if found is not None:
                return logp + found
            logp += backoff.get(history, 0.0)
            if not history:
                return logp - math.log(self.char_alphabet)
            history = history[1:]

    def is_valid(self, word: str) -> bool:
        """True for a known word (upper case): counted twice in cables, English, vocabulary."""
        return (
            self.cable_unigrams.get(word, 0) >= 2
            or word in self.english_unigrams
            or word in self.vocabulary
            or word in self.user_words
            or word in self.names
        )

    def is_derived(self, word: str) -> bool:
        """True for a known word plus a productive affix (CIVILIANIZE, NONAGGRESSION) or a compound.

        An affix base must be a known word of at least 5 letters; common spelling changes at
        the joint (dropped E and doubled consonant before a vowel, Y to I) are undone. A
        compound is two known words of 5+ letters that are not a known word pair
        (CENTERPIECE; SOVIETUNION is a lost space, SOVIET UNION being a known pair).
        """
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 5:
                stem = word[: -len(suffix)]
                bases = [stem]
                if suffix[0] in _VOWELS:  # HOPING, STOPPED, STUDIED
                    bases.append(stem + "E")
                    if len(stem) > 4 and stem[-1] == stem[-2]:
                        bases.append(stem[:-1])
                if stem.endswith("I") and suffix in _Y_TO_I:
                    bases.append(stem[:-1] + "Y")
                if any(self.is_valid(base) for base in bases):
                    return True
        for k in range(5, len(word) - 4):
            left, right = word[:k], word[k:]
            pair = f"{left} {right}"
            if (
                self.is_valid(left)
                and self.is_valid(right)
                and pair not in self.cable_bigrams
                and pair not in self.english_bigrams
            ):
                return True  # a closed compound (CENTERPIECE); a seen pair is a lost space
        for prefix in _PREFIXES:
            rest = word[len(prefix) :]
            if word.startswith(prefix) and len(rest) >= 5 and self.is_valid(rest):
                return True
        return False

    def is_fixed(self, word: str) -> bool:
        """True for a token that must never change: protected or cable vocabulary."""
        return word in self.protected or word in self.vocabulary or word in self.user_words

    def unigram_logp(self, word: str) -> float:
        """Interpolated log probability of ``word`` (cable, FRUS-wide, English; floor 1e-9)."""
        wc, wf, we = self.weights
        pc = (self.cable_unigrams.get(word, 0) + self.user_words.get(word, 0)) / self.cable_total
        pf = self.frus_unigrams.get(word, 0) / self.frus_total
        pe = self.english_unigrams.get(word, 0) / self.english_total
        return math.log(wc * pc + wf * pf + we * pe + 1e-9)

    def is_rare(self, word: str) -> bool:
        """True for a valid word barely seen in cable or FRUS-wide text (``RARE_COUNT``).

        Such a word may be a garble that formed another word (``SWEDEN`` -> ``SWED``,
        ``ESTABLISH`` -> ``STABLISH``; a longer word counts when also rare in English), so
        the corrector weighs it against its candidates instead of accepting it.
        """
        return (
            (
                len(word) <= RARE_MAX_LENGTH
                or self.english_unigrams.get(word, 0) < RARE_ENGLISH_COUNT
            )
            and self.cable_unigrams.get(word, 0) + self.frus_unigrams.get(word, 0) <= RARE_COUNT
            and bool(self.frus_unigrams)
            and not self.is_fixed(word)
            and word not in self.names
            and self.is_valid(word)
        )

    def seen(self, word: str) -> bool:
        """True when ``word`` was counted in any source (valid or not)."""
        return (
            word in self.cable_unigrams
            or word in self.frus_unigrams
            or word in self.english_unigrams
        )

    def pair_seen(self, left: str, word: str) -> bool:
        """True when ``left word`` was counted in the cable or FRUS-wide text."""
        pair = f"{left} {word}"
        return pair in self.cable_bigrams or pair in self.frus_bigrams

    def unigram_ceiling(self) -> float:
        """An upper bound of ``unigram_logp`` over all words."""
        wc, wf, we = self.weights
        top = max(self.cable_unigrams.values(), default=0)
        top += max(self.user_words.values(), default=0)
        pc = top / self.cable_total
        pf = max(self.frus_unigrams.values(), default=0) / self.frus_total
        pe = max(self.english_unigrams.values(), default=0) / self.english_total
        return math.log(wc * pc + wf * pf + we * pe + 1e-9)

    def bigram_logp(self, left: str, word: str) -> float:
        """Log P(word | left): Dirichlet-smoothed bigrams per source, interpolated."""
        return math.log(self._bigram_p(left, word) + 1e-9)

    def trigram_logp(self, left2: str | None, left: str, word: str) -> float:
        """Log P(word | left2 left): cable triples, smoothed towards ``bigram_logp``."""
        p = self._bigram_p(left, word)
        if left2 is not None and self.cable_trigrams:
            history = self.cable_bigrams.get(f"{left2} {left}", 0)
            if history:
                count = self.cable_trigrams.get(f"{left2} {left} {word}", 0)
                p = (count + TRIGRAM_BETA * p) / (history + TRIGRAM_BETA)
        return math.log(p + 1e-9)

    def _bigram_p(self, left: str, word: str) -> float:
        mu = BIGRAM_MU
        wc, wf, we = self.weights
        pair = f"{left} {word}"
        pc_uni = self.cable_unigrams.get(word, 0) / self.cable_total
        cc = self.cable_bigrams.get(pair, 0)
        pc = (cc + mu * pc_uni) / (self.cable_unigrams.get(left, 0) + mu)
        pe_uni = self.english_unigrams.get(word, 0) / self.english_total
        ec = self.english_bigrams.get(pair, 0)
        pe = (ec + mu * pe_uni) / (self.english_left.get(left, 0) + mu)
        p = wc * pc + we * pe
        if wf:
            pf_uni = self.frus_unigrams.get(word, 0) / self.frus_total
            fc = self.frus_bigrams.get(pair, 0)
            p += wf * (fc + mu * pf_uni) / (self.frus_unigrams.get(left, 0) + mu)
        return p


def _read_payload(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise DictionaryError(
            f"{path}: dictionary not found; run scripts/build_dictionaries.py "
            "or set [correction] dictionaries_dir"
        )
    try:
        raw = path.read_bytes()
        if not raw:
            raise DictionaryError(f"{path}: dictionary file is empty; rebuild it")
        payload = DataOnlyUnpickler(io.BytesIO(gzip.decompress(raw))).load()
    except DictionaryError:
        raise
    except (OSError, EOFError, zlib.error, pickle.UnpicklingError, ValueError) as exc:
        raise DictionaryError(f"{path}: dictionary is corrupt ({exc}); rebuild it") from exc
    if not isinstance(payload, dict) or payload.get("version") != FORMAT_VERSION:
        raise DictionaryError(f"{path}: unknown dictionary format; rebuild it")
    for key in _COUNT_KEYS:
        if not isinstance(payload.get(key), dict) or not payload[key]:
            raise DictionaryError(f"{path}: dictionary has no {key}; rebuild it")
    return payload


def _read_calibration(path: Path) -> Calibration:
    if not path.is_file():
        return Calibration()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        weights = tuple(float(w) for w in data.get("weights", ()))
        trees = tuple(_tree(tree) for tree in data.get("trees", ()))
        base = float(data.get("base", 0.0))
        return Calibration(float(data["a"]), float(data["b"]), weights, base, trees)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DictionaryError(f"{path}: calibration file is corrupt ({exc})") from exc


def read_word_list(path: Path, *, counts: bool) -> dict[str, int]:
    """Words of a user list (``word`` or ``word<TAB>count`` per line; ``#`` comments).

    Args:
        path: the file.
        counts: read a count column (default count 1 when absent).

    Raises:
        DictionaryError: the file is unreadable or a count is not a positive integer.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DictionaryError(f"{path}: cannot read word list ({exc})") from exc
    words: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, count = line.partition("\t")
        value = 1
        if counts and count.strip():
            try:
                value = int(count)
            except ValueError as exc:
                raise DictionaryError(f"{path}:{number}: count is not an integer") from exc
            if value <= 0:
                raise DictionaryError(f"{path}:{number}: count must be positive")
        words[word.strip().upper()] = value
    return words


def _dictionaries_folder(config: CorrectionConfig) -> Path:
    return Path(config.dictionaries_dir) if config.dictionaries_dir else data_path("dictionaries")


def lexicon_files(config: CorrectionConfig) -> list[Path]:
    """Every file ``load_lexicon`` may read (the word lists need not exist)."""
    try:
        paths = sorted(p for p in _dictionaries_folder(config).iterdir() if p.is_file())
    except OSError:
        paths = []
    paths.append(Path(config.user_dictionary or user_data_dir() / "user_words.txt"))
    paths.append(Path(config.protected_file or user_data_dir() / "protected.txt"))
    return paths


def _user_file(configured: str | None, default_name: str) -> Path | None:
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise DictionaryError(f"{path}: file not found")
        return path
    candidate = user_data_dir() / default_name
    return candidate if candidate.is_file() else None


def load_lexicon(config: CorrectionConfig) -> Lexicon:
    """Load the built dictionaries and the review-taught word lists.

    Raises:
        DictionaryError: a dictionary file is missing, empty or corrupt.
    """
    folder = _dictionaries_folder(config)
    payload = _read_payload(folder / LEXICON_FILE)
    user: dict[str, int] = {}
    path = _user_file(config.user_dictionary, "user_words.txt")
    if path is not None:
        user = read_word_list(path, counts=True)
    protected = set(payload.get("protected", []))
    path = _user_file(config.protected_file, "protected.txt")
    if path is not None:
        protected.update(read_word_list(path, counts=False))
    spelling = payload.get("char_model", {})
    lexicon = Lexicon(
        cable_unigrams=payload["cable_unigrams"],
        cable_bigrams=payload["cable_bigrams"],
        english_unigrams=payload["english_unigrams"],
        english_bigrams=payload["english_bigrams"],
        vocabulary=frozenset(payload.get("vocabulary", [])),
        names=frozenset(payload.get("names", [])),
        protected=frozenset(protected),
        user_words=user,
        english_left=payload.get("english_left", {}),
        frus_unigrams=payload.get("frus_unigrams", {}),
        frus_bigrams=payload.get("frus_bigrams", {}),
        cable_trigrams=payload.get("cable_trigrams", {}),
        period_after=payload.get("period_after", {}),
        period_before=payload.get("period_before", {}),
        char_grams=spelling.get("grams", {}),
        char_backoff=spelling.get("backoff", {}),
        char_order=spelling.get("order", 4),
        char_alphabet=spelling.get("alphabet", 27),
        calibration=_read_calibration(folder / CALIBRATION_FILE),
    )
    lexicon.cache["source_key"] = source_key(config)
    return lexicon


def source_key(config: CorrectionConfig) -> str:
    """Digest of the path, size and modification time of every file the lexicon came from."""
    parts = []
    for path in lexicon_files(config):
        try:
            stat = path.stat()
        except OSError:
            continue
        parts.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
