"""Evaluation: character and word error rates of a transcript against a reference.

Both texts are normalized by ``normalize_text`` before they are compared:

1. Unicode NFKC (ligatures and full-width forms become plain letters);
2. curly quotes become ``'`` / ``"``, and en/em dashes, minus and soft hyphens become ``-``;
3. every run of whitespace (spaces, tabs, line breaks) becomes one space, and the ends are
   stripped, so line wrapping does not count as an error;
4. optionally (``casefold=True``) case is folded.

CER = character edit distance / reference characters; WER = word edit distance / reference
words (words are the space-separated tokens after normalization). Edit distances are
Levenshtein distances from ``rapidfuzz``. Both rates can exceed 1.0 when the hypothesis is
much longer than the reference.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from pipeline.errors import InputError

_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00ad": "-",
    }
)
_SPACE = re.compile(r"\s+")


def normalize_text(text: str, *, casefold: bool = False) -> str:
    """Normalize text for comparison (NFKC, quotes, dashes, whitespace; see module doc).

    Args:
        text: any text.
        casefold: also fold case.

    Returns:
        The normalized text.
    """
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    text = _SPACE.sub(" ", text).strip()
    return text.casefold() if casefold else text


@dataclass(frozen=True, slots=True)
class EvalResult:
    """Error rates of a hypothesis against a reference."""

    cer: float
    """Character error rate (edits / reference characters)."""
    wer: float
    """Word error rate (word edits / reference words)."""
    char_errors: int
    char_total: int
    """Characters in the normalized reference."""
    word_errors: int
    word_total: int
    """Words in the normalized reference."""


def _rate(errors: int, total: int) -> float:
    if total:
        return errors / total
    return 0.0 if errors == 0 else 1.0


def evaluate_text(hypothesis: str, reference: str, *, casefold: bool = False) -> EvalResult:
    """Compare two texts after ``normalize_text``.

    Args:
        hypothesis: text produced by OCR.
        reference: ground truth.
        casefold: ignore case differences.

    Returns:
        The error rates and counts.
    """
    hyp = normalize_text(hypothesis, casefold=casefold)
    ref = normalize_text(reference, casefold=casefold)
    char_errors = Levenshtein.distance(hyp, ref)
    hyp_words, ref_words = hyp.split(), ref.split()
    word_errors = Levenshtein.distance(hyp_words, ref_words)
    return EvalResult(
        cer=_rate(char_errors, len(ref)),
        wer=_rate(word_errors, len(ref_words)),
        char_errors=char_errors,
        char_total=len(ref),
        word_errors=word_errors,
        word_total=len(ref_words),
    )


def cer(hypothesis: str, reference: str, *, casefold: bool = False) -> float:
    """Character error rate after normalization."""
    return evaluate_text(hypothesis, reference, casefold=casefold).cer


def wer(hypothesis: str, reference: str, *, casefold: bool = False) -> float:
    """Word error rate after normalization."""
    return evaluate_text(hypothesis, reference, casefold=casefold).wer


def combine(results: list[EvalResult]) -> EvalResult:
    """Pool several results into one (totals weighted by reference length)."""
    ce = sum(r.char_errors for r in results)
    ct = sum(r.char_total for r in results)
    we = sum(r.word_errors for r in results)
    wt = sum(r.word_total for r in results)
    return EvalResult(_rate(ce, ct), _rate(we, wt), ce, ct, we, wt)


def body_of(text: str) -> str:
    """The text after the first blank line (the body of a transcript.txt); all if none."""
    parts = re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n"), maxsplit=1)
    return parts[1] if len(parts) == 2 else text


def read_text_file(path: Path) -> str:
    """Read a transcript: a text file, or ``transcript.txt`` inside an output folder.

    Raises:
        InputError: the file is missing or not UTF-8 text.
    """
    if path.is_dir():
        path = path / "transcript.txt"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(f"{path}: file not found; give a transcript.txt or output folder") from exc
    except (UnicodeDecodeError, IsADirectoryError) as exc:
        raise InputError(f"{path}: not a UTF-8 text file; give a transcript.txt") from exc
