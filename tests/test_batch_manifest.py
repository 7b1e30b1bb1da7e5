"""The SQLite manifest: state machine, persistence, crash reset."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pipeline.batch.manifest import MANIFEST_NAME, Manifest, ManifestError


def _open(tmp_path: Path) -> Manifest:
    return Manifest(tmp_path / MANIFEST_NAME)


def test_happy_path_and_persistence(tmp_path: Path) -> None:
    with _open(tmp_path) as manifest:
        manifest.plan("a.pdf", "pdf", "sig", "hash", "cfg")
        assert manifest.states() == {"a.pdf": "pending"}
        manifest.mark_running("a.pdf")
        manifest.mark_done("a.pdf", [{"cable": "a", "status": "done"}])
    with _open(tmp_path) as manifest:
        record = manifest.get("a.pdf")
        assert record is not None
        assert record.state == "done"
        assert record.cables == [{"cable": "a", "status": "done"}]
        assert record.attempts == 1
        assert (record.stat_sig, record.content_hash, record.config_hash) == ("sig", "hash", "cfg")


def test_wal_journal(tmp_path: Path) -> None:
    _open(tmp_path).close()
    db = sqlite3.connect(tmp_path / MANIFEST_NAME)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


@pytest.mark.parametrize(
    ("setup", "move"),
    [
        ([], "mark_done"),  # pending -> done skips running
        ([], "mark_failed"),
        (["mark_running", "done"], "mark_running"),  # done -> running needs a new plan
    ],
)
def test_refused_transitions(tmp_path: Path, setup: list[str], move: str) -> None:
    with _open(tmp_path) as manifest:
        manifest.plan("k", "text", "s", "h", "c")
        for step in setup:
            if step == "done":
                manifest.mark_done("k", [])
            else:
                getattr(manifest, step)("k")
        with pytest.raises(ManifestError, match="cannot go from"):
            if move == "mark_done":
                manifest.mark_done("k", [])
            elif move == "mark_failed":
                manifest.mark_failed("k", "why", [])
            else:
                manifest.mark_running("k")


def test_unknown_key_refused(tmp_path: Path) -> None:
    with _open(tmp_path) as manifest, pytest.raises(ManifestError, match="not in the batch"):
        manifest.mark_running("nope")


def test_reset_running_after_a_crash(tmp_path: Path) -> None:
    with _open(tmp_path) as manifest:
        for key in ("a", "b", "c"):
            manifest.plan(key, "text", "s", key, "c")
            manifest.mark_running(key)
        manifest.mark_done("a", [])
        manifest.mark_failed("b", "bad", [])
    # the process died here with "c" running
    with _open(tmp_path) as manifest:
        assert manifest.reset_running() == ["c"]
        assert manifest.states() == {"a": "done", "b": "failed", "c": "pending"}
        manifest.mark_running("c")
        assert manifest.get("c").attempts == 2  # type: ignore[union-attr]


def test_replan_and_duplicate(tmp_path: Path) -> None:
    with _open(tmp_path) as manifest:
        manifest.plan("a", "text", "s1", "h1", "c")
        manifest.mark_running("a")
        manifest.mark_failed("a", "disk full", [])
        manifest.plan("a", "text", "s2", "h2", "c")  # failed -> pending, error cleared
        record = manifest.get("a")
        assert record is not None
        assert (record.state, record.error, record.content_hash) == ("pending", "", "h2")
        manifest.mark_duplicate("b", "text", "s", "h2", "c", of="a")
        record = manifest.get("b")
        assert record is not None
        assert (record.state, record.error) == ("duplicate", "same content as a")
        manifest.plan("b", "text", "s", "h3", "c")
        assert manifest.states()["b"] == "pending"
