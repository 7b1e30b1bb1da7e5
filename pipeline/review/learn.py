"""Teach later runs: approved corrections become user words, rejected ones protected tokens.

Both files live in ``user_data_dir()`` (``$CABLE_OCR_HOME`` overrides), one token per line,
UTF-8, in the format ``pipeline.lexicon.read_word_list`` reads. The corrector adds
``user_words.txt`` to its dictionary and never changes a token in ``protected.txt``. Files
are appended to without duplicates and rewritten atomically under a lock, so concurrent
``apply`` runs lose nothing.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import OutputError
from pipeline.outputs import atomic_write
from pipeline.records import Transcript
from pipeline.resources import user_data_dir
from pipeline.review.decisions import (
    Decision,
    DecisionAction,
    in_force,
)

USER_WORDS = "user_words.txt"
PROTECTED = "protected.txt"
_EDGE_PUNCTUATION = "\"'()[]{},;:!?#"


def tokens(text: str) -> list[str]:
    """Dictionary tokens of a text: whitespace-split, surrounding punctuation cut.

    A final period is cut unless the token has another one (``SUMMARY.`` -> ``SUMMARY``,
    ``U.S.`` stays).
    """
    out = []
    for part in text.split():
        token = part.strip(_EDGE_PUNCTUATION)
        if token.endswith(".") and token.count(".") == 1:
            token = token[:-1]
        if token:
            out.append(token)
    return out


@dataclass(frozen=True, slots=True)
class Lessons:
    """What a set of decisions teaches."""

    user_words: tuple[str, ...]
    """Texts reviewers confirmed as corrections (approve, edit), tokenized."""
    protected: tuple[str, ...]
    """OCR texts reviewers said are right (reject), tokenized."""


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def lessons(transcript: Transcript, decisions: Iterable[Decision]) -> Lessons:
    """The user words and protected tokens taught by the effective, non-stale decisions."""
    words: list[str] = []
    protected: list[str] = []
    for decision in in_force(transcript, decisions)[0].values():
        if decision.action is DecisionAction.REJECT:
            protected.extend(tokens(decision.ocr_text))
        elif (
            decision.action in (DecisionAction.APPROVE, DecisionAction.EDIT)
            and decision.after != decision.ocr_text
        ):
            words.extend(tokens(decision.after))
    return Lessons(_unique(words), _unique(protected))


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with (folder / ".review.lock").open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _read_lines(path: Path) -> list[str]:
    if not path.is_file():
        return []
    return path.read_text(encoding="utf-8").splitlines()


def _key(line: str) -> str:
    """The word of a word-list line as the corrector reads it (first tab field, upper case)."""
    return line.partition("\t")[0].strip().upper()


def append_unique(path: Path, entries: Iterable[str]) -> int:
    """Append entries not yet in ``path`` (one per line), atomically; return how many were new.

    Entries are compared as the corrector reads them: case-insensitively, ignoring a count
    column and ``#`` comment lines.
    """
    lines = _read_lines(path)
    known = {_key(line) for line in lines if not line.lstrip().startswith("#")}
    new = []
    for entry in _unique(entries):
        key = _key(entry)
        if key and key not in known:
            known.add(key)
            new.append(entry.strip())
    if new:
        atomic_write(path, ("\n".join([*lines, *new]) + "\n").encode("utf-8"))
    return len(new)


def teach(found: Lessons, folder: Path | None = None) -> tuple[int, int]:
    """Write the lessons to ``user_words.txt`` and ``protected.txt``.

    Args:
        found: what the decisions taught.
        folder: where the files live; ``user_data_dir()`` when ``None``.

    Returns:
        How many user words and protected tokens were new.

    Raises:
        OutputError: the folder cannot be written.
    """
    target = folder or user_data_dir()
    try:
        target.mkdir(parents=True, exist_ok=True)
        with _locked(target):
            added_words = append_unique(target / USER_WORDS, found.user_words)
            added_protected = append_unique(target / PROTECTED, found.protected)
    except OSError as exc:
        raise OutputError(
            f"{target}: cannot update the user dictionary ({exc.strerror or exc})"
        ) from exc
    return added_words, added_protected
