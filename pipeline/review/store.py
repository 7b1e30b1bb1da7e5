"""The decisions database of an output folder: ``OUT/review.sqlite3`` (SQLite, WAL).

One table, ``decisions``, is an append-only audit log. Each row is one reviewer action on
one word: reviewer, UTC time, word index, OCR text, text before (the proposal) and after,
action, and a ``revision`` number. ``UNIQUE(word_index, revision)`` enforces the rules:

- The first decision on a word is revision 0. When two reviewers decide the same word at
  once, the first one to commit wins; the second is refused with ``DecisionConflictError``.
- A ``skip`` is recorded but is not a verdict: a later approve/reject/edit on a skipped word
  becomes the next revision without a conflict.
- Changing a verdict is an explicit *revise* naming the revision the reviewer saw; it is a
  new row (``revision + 1``, ``supersedes`` = the replaced row's id), so nothing is
  overwritten. A revise based on an outdated revision is refused.

The decision in force for a word is its highest revision. Every write runs in a
``BEGIN IMMEDIATE`` transaction, so concurrent reviewers (threads or processes) are serialized
by SQLite and no decision is lost or stored twice.

Each row also records the ``fingerprint`` (``transcript_fingerprint``) of the transcript it was
decided on. Transcribing again into the same folder keeps the database, but a store opened
for the new transcript treats decisions in force from another transcript as stale: they are
not shown, not applied, and a new decision on their word is the next revision, not a
conflict. Rows without a fingerprint (databases written before fingerprints were recorded)
are stamped with the fingerprint of the first store opened with one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.errors import OutputError, PipelineError
from pipeline.review.decisions import (
    Decision,
    DecisionAction,
    effective_decisions,
    from_other_transcript,
)

DB_NAME = "review.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    word_index INTEGER NOT NULL,
    revision INTEGER NOT NULL DEFAULT 0,
    action TEXT NOT NULL CHECK (action IN ('approve', 'reject', 'edit', 'skip')),
    ocr_text TEXT NOT NULL,
    before TEXT NOT NULL,
    after TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    supersedes INTEGER REFERENCES decisions(id),
    fingerprint TEXT,
    UNIQUE (word_index, revision)
);
"""

_COLUMNS = (
    "id, word_index, revision, action, ocr_text, before, after, reviewer, decided_at, "
    "supersedes, fingerprint"
)


class DecisionConflictError(PipelineError):
    """A decision was refused: the word was already decided (or revised) by someone else."""


@dataclass(frozen=True, slots=True)
class NewDecision:
    """A decision to store (time and revision are assigned by the store)."""

    index: int
    action: DecisionAction
    ocr_text: str
    before: str
    after: str
    reviewer: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _row(row: tuple[object, ...]) -> Decision:
    rid, index, revision, action, ocr, before, after, reviewer, when, supersedes, fp = row
    return Decision(
        index=int(str(index)),
        action=DecisionAction(str(action)),
        ocr_text=str(ocr),
        before=str(before),
        after=str(after),
        reviewer=str(reviewer),
        decided_at=str(when),
        revision=int(str(revision)),
        id=int(str(rid)),
        supersedes=None if supersedes is None else int(str(supersedes)),
        fingerprint=None if fp is None else str(fp),
    )


class DecisionStore:
    """The decisions database of one output folder.

    Each call opens its own connection, so one store can be shared by server threads.

    Args:
        out_dir: the output folder.
        fingerprint: ``transcript_fingerprint`` of the folder's transcript. New decisions are
            stamped with it and decisions in force from another transcript are stale. ``None``
            stores no fingerprint and treats every decision as current (the raw audit log).
    """

    def __init__(self, out_dir: Path, fingerprint: str | None = None) -> None:
        self.path = out_dir / DB_NAME
        self.fingerprint = fingerprint
        try:
            with closing(self._connect()) as conn:
                conn.execute("PRAGMA journal_mode=WAL")
            with self._write() as conn:
                conn.execute(_SCHEMA)
                columns = {row[1] for row in conn.execute("PRAGMA table_info(decisions)")}
                if "fingerprint" not in columns:
                    conn.execute("ALTER TABLE decisions ADD COLUMN fingerprint TEXT")
                if fingerprint is not None:
                    conn.execute(
                        "UPDATE decisions SET fingerprint = ? WHERE fingerprint IS NULL",
                        (fingerprint,),
                    )
        except sqlite3.Error as exc:
            raise OutputError(f"{self.path}: cannot open the decisions database ({exc})") from exc

    def is_current(self, decision: Decision) -> bool:
        """True unless ``decision`` was made on another transcript than this store's."""
        return not from_other_transcript(decision, self.fingerprint)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @staticmethod
    def _latest(conn: sqlite3.Connection, index: int) -> Decision | None:
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM decisions WHERE word_index = ? ORDER BY revision DESC LIMIT 1",
            (index,),
        ).fetchone()
        return None if row is None else _row(row)

    def _insert(
        self, conn: sqlite3.Connection, new: NewDecision, revision: int, supersedes: int | None
    ) -> Decision:
        when = _now()
        fingerprint = self.fingerprint
        cursor = conn.execute(
            "INSERT INTO decisions (word_index, revision, action, ocr_text, before, after, "
            "reviewer, decided_at, supersedes, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                new.index,
                revision,
                new.action.value,
                new.ocr_text,
                new.before,
                new.after,
                new.reviewer,
                when,
                supersedes,
                fingerprint,
            ),
        )
        return Decision(
            index=new.index,
            action=new.action,
            ocr_text=new.ocr_text,
            before=new.before,
            after=new.after,
            reviewer=new.reviewer,
            decided_at=when,
            revision=revision,
            id=int(cursor.lastrowid or 0),
            supersedes=supersedes,
            fingerprint=fingerprint,
        )

    @staticmethod
    def _conflict(current: Decision) -> DecisionConflictError:
        return DecisionConflictError(
            f"word {current.index} was already decided by {current.reviewer or 'someone'} "
            f"({current.action.value} '{current.after}' at {current.decided_at}); revise it instead"
        )

    def _decide_in(self, conn: sqlite3.Connection, new: NewDecision) -> Decision:
        current = self._latest(conn, new.index)
        if current is None:
            return self._insert(conn, new, 0, None)
        if current.action is DecisionAction.SKIP or not self.is_current(current):
            return self._insert(conn, new, current.revision + 1, current.id)
        raise self._conflict(current)

    def decide(self, new: NewDecision) -> Decision:
        """Store the first verdict on a word (or one after a skip).

        Raises:
            DecisionConflictError: the word already has a verdict.
        """
        try:
            with self._write() as conn:
                return self._decide_in(conn, new)
        except sqlite3.IntegrityError as exc:  # a unique-constraint race that slipped through
            raise DecisionConflictError(f"word {new.index} was decided concurrently") from exc
        except sqlite3.Error as exc:
            raise OutputError(f"{self.path}: cannot store the decision ({exc})") from exc

    def decide_many(
        self, news: Sequence[NewDecision]
    ) -> tuple[list[Decision], list[DecisionConflictError]]:
        """Store several first verdicts in one transaction; conflicting ones are refused.

        Returns:
            The stored decisions and one error per refused decision.
        """
        stored: list[Decision] = []
        refused: list[DecisionConflictError] = []
        try:
            with self._write() as conn:
                for new in news:
                    try:
                        stored.append(self._decide_in(conn, new))
                    except DecisionConflictError as exc:
                        refused.append(exc)
        except sqlite3.Error as exc:
            raise OutputError(f"{self.path}: cannot store the decisions ({exc})") from exc
        return stored, refused

    def revise(self, new: NewDecision, base_revision: int) -> Decision:
        """Replace the verdict in force on a word, as an audited new revision.

        Args:
            new: the new decision.
            base_revision: the revision the reviewer saw; refused when it is not the latest.

        Raises:
            DecisionConflictError: someone decided or revised the word meanwhile.
        """
        try:
            with self._write() as conn:
                current = self._latest(conn, new.index)
                if current is None:
                    return self._insert(conn, new, 0, None)
                if current.revision != base_revision:
                    raise DecisionConflictError(
                        f"word {new.index} was changed meanwhile by "
                        f"{current.reviewer or 'someone'} ({current.action.value} "
                        f"'{current.after}' at {current.decided_at}); reload and retry"
                    )
                return self._insert(conn, new, current.revision + 1, current.id)
        except sqlite3.IntegrityError as exc:
            raise DecisionConflictError(f"word {new.index} was revised concurrently") from exc
        except sqlite3.Error as exc:
            raise OutputError(f"{self.path}: cannot store the decision ({exc})") from exc

    def history(self) -> list[Decision]:
        """Every stored row, oldest first (the audit log)."""
        try:
            with closing(self._connect()) as conn:
                rows = conn.execute(f"SELECT {_COLUMNS} FROM decisions ORDER BY id").fetchall()
        except sqlite3.Error as exc:
            raise OutputError(f"{self.path}: cannot read the decisions ({exc})") from exc
        return [_row(row) for row in rows]

    def effective(self) -> dict[int, Decision]:
        """The decision in force for each decided word, except those from another transcript."""
        return {
            index: decision
            for index, decision in effective_decisions(self.history()).items()
            if self.is_current(decision)
        }

    def stale(self) -> dict[int, Decision]:
        """Decisions in force that were made on another transcript (not applied)."""
        return {
            index: decision
            for index, decision in effective_decisions(self.history()).items()
            if not self.is_current(decision)
        }
