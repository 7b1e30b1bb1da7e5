"""The batch manifest: one SQLite row per unit of work, with its state and fingerprints.

States and the allowed moves::

    pending -> running -> done | failed
    running -> pending            (a run stopped mid-way; reset on the next start)
    done | failed -> pending      (input, configuration changed, or --force)
    any -> duplicate -> pending   (same content as another unit)

Only the batch's main process writes the manifest; every change is committed at once
(WAL journal), so a ``kill -9`` loses at most the unit being worked on.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pipeline.errors import ExitCode, PipelineError

State = Literal["pending", "running", "done", "failed", "duplicate"]

MANIFEST_NAME = ".cable-ocr-batch.sqlite3"

TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"running", "duplicate", "pending"}),
    "running": frozenset({"done", "failed", "pending"}),
    "done": frozenset({"pending", "duplicate"}),
    "failed": frozenset({"pending", "duplicate"}),
    "duplicate": frozenset({"pending", "duplicate"}),
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS units (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    stat_sig TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    error TEXT NOT NULL DEFAULT '',
    cables TEXT NOT NULL DEFAULT '[]',
    attempts INTEGER NOT NULL DEFAULT 0,
    updated REAL NOT NULL
)
"""


class ManifestError(PipelineError):
    """The manifest cannot be opened or a state change is not allowed."""

    exit_code = ExitCode.OUTPUT_ERROR


@dataclass(frozen=True, slots=True)
class UnitRecord:
    """One manifest row."""

    key: str
    kind: str
    stat_sig: str
    content_hash: str
    config_hash: str
    state: State
    error: str
    cables: list[dict[str, Any]]
    """Summary rows of the cables written for this unit (see ``report.CableResult``)."""
    attempts: int


class Manifest:
    """SQLite-backed record of every unit's state (open with ``Manifest(path)``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
        except sqlite3.Error as exc:
            raise ManifestError(f"{path}: cannot open the batch manifest ({exc})") from exc

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> Manifest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _execute(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, args)
        except sqlite3.Error as exc:
            raise ManifestError(f"{self.path}: cannot update the batch manifest ({exc})") from exc

    def get(self, key: str) -> UnitRecord | None:
        """The row of ``key``, or ``None``."""
        row = self._execute(
            "SELECT key, kind, stat_sig, content_hash, config_hash, state, error, cables, attempts"
            " FROM units WHERE key = ?",
            (key,),
        ).fetchone()
        if row is None:
            return None
        return UnitRecord(
            key=row[0],
            kind=row[1],
            stat_sig=row[2],
            content_hash=row[3],
            config_hash=row[4],
            state=row[5],
            error=row[6],
            cables=json.loads(row[7]),
            attempts=int(row[8]),
        )

    def states(self) -> dict[str, State]:
        """State of every unit by key."""
        rows = self._execute("SELECT key, state FROM units").fetchall()
        return {key: state for key, state in rows}

    def _move(self, key: str, state: State, **values: Any) -> None:
        current = self.get(key)
        if current is None:
            raise ManifestError(f"{key}: not in the batch manifest")
        if state not in TRANSITIONS[current.state]:
            raise ManifestError(f"{key}: cannot go from {current.state} to {state}")
        columns = ", ".join(f"{name} = ?" for name in values)
        sets = f"state = ?, updated = ?{', ' if columns else ''}{columns}"
        sql = f"UPDATE units SET {sets} WHERE key = ?"
        self._execute(sql, (state, time.time(), *values.values(), key))

    def plan(self, key: str, kind: str, stat_sig: str, content_hash: str, config_hash: str) -> None:
        """Record a unit as pending with its fingerprints (new, changed or forced)."""
        current = self.get(key)
        if current is None:
            self._execute(
                "INSERT INTO units (key, kind, stat_sig, content_hash, config_hash, state, updated)"
                " VALUES (?, ?, ?, ?, ?, 'pending', ?)",
                (key, kind, stat_sig, content_hash, config_hash, time.time()),
            )
            return
        self._move(
            key,
            "pending",
            kind=kind,
            stat_sig=stat_sig,
            content_hash=content_hash,
            config_hash=config_hash,
            error="",
        )

    def refresh_stat(self, key: str, stat_sig: str) -> None:
        """Store a new size/mtime signature for unchanged content (a touched file)."""
        self._execute("UPDATE units SET stat_sig = ? WHERE key = ?", (stat_sig, key))

    def mark_running(self, key: str) -> None:
        """Move pending -> running (counts an attempt)."""
        current = self.get(key)
        self._move(key, "running", attempts=(current.attempts if current else 0) + 1)

    def mark_done(self, key: str, cables: list[dict[str, Any]]) -> None:
        """Move running -> done, with the summary rows of the cables written."""
        self._move(key, "done", cables=json.dumps(cables), error="")

    def mark_failed(self, key: str, error: str, cables: list[dict[str, Any]]) -> None:
        """Move running -> failed, with the reason."""
        self._move(key, "failed", cables=json.dumps(cables), error=error)

    def mark_duplicate(
        self, key: str, kind: str, stat_sig: str, content_hash: str, config_hash: str, of: str
    ) -> None:
        """Record a unit whose content equals unit ``of`` (processed once, under ``of``)."""
        if self.get(key) is None:
            self.plan(key, kind, stat_sig, content_hash, config_hash)
        self._move(
            key,
            "duplicate",
            stat_sig=stat_sig,
            content_hash=content_hash,
            config_hash=config_hash,
            error=f"same content as {of}",
            cables="[]",
        )

    def reset_running(self) -> list[str]:
        """Put units left ``running`` by a stopped run back to ``pending``; their keys."""
        keys = [k for k, s in self.states().items() if s == "running"]
        for key in keys:
            self._move(key, "pending")
        return keys
