from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from test_review_support import build_many, race

from pipeline.records import Action, Source
from pipeline.review.decisions import DecisionAction, apply_decisions
from pipeline.review.store import DB_NAME, DecisionConflictError, DecisionStore, NewDecision
from pipeline.serialize import read_transcript

A = DecisionAction
N = 200


def _new(
    index: int, action: DecisionAction = A.APPROVE, who: str = "ann", after: str = ""
) -> NewDecision:
    return NewDecision(index, action, f"W{index}X", f"W{index}", after or f"W{index}", who)


def test_database_is_wal_with_unique_constraint(tmp_path: Path) -> None:
    store = DecisionStore(tmp_path)
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.execute(
            "INSERT INTO decisions (word_index, revision, action, ocr_text, before, after, "
            "reviewer, decided_at) VALUES (1, 0, 'approve', 'a', 'b', 'b', 'x', 't')"
        )
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(
                "INSERT INTO decisions (word_index, revision, action, ocr_text, before, after, "
                "reviewer, decided_at) VALUES (1, 0, 'reject', 'a', 'b', 'a', 'y', 't')"
            )
    assert len(store.history()) == 1


def test_first_decision_wins_second_is_refused(tmp_path: Path) -> None:
    store = DecisionStore(tmp_path)
    first = store.decide(_new(4, A.APPROVE, "ann"))
    assert (first.revision, first.reviewer, first.id) == (0, "ann", 1)
    with pytest.raises(DecisionConflictError, match="already decided by ann"):
        store.decide(_new(4, A.REJECT, "bob", after="W4X"))
    assert [d.reviewer for d in store.history()] == ["ann"]


def test_skip_is_recorded_and_then_overridden(tmp_path: Path) -> None:
    store = DecisionStore(tmp_path)
    store.decide(_new(2, A.SKIP, "ann"))
    decided = store.decide(_new(2, A.EDIT, "bob", after="W2Y"))
    assert (decided.revision, decided.supersedes) == (1, 1)
    assert store.effective()[2].after == "W2Y"
    assert len(store.history()) == 2


def test_revise_is_an_audited_new_row(tmp_path: Path) -> None:
    store = DecisionStore(tmp_path)
    store.decide(_new(7, A.APPROVE, "ann"))
    revised = store.revise(_new(7, A.REJECT, "bob", after="W7X"), base_revision=0)
    assert (revised.revision, revised.supersedes) == (1, 1)
    with pytest.raises(DecisionConflictError, match="changed meanwhile by bob"):
        store.revise(_new(7, A.EDIT, "cat", after="W7Z"), base_revision=0)
    history = store.history()
    assert [(d.action, d.reviewer) for d in history] == [(A.APPROVE, "ann"), (A.REJECT, "bob")]
    assert store.effective()[7].action is A.REJECT


def test_decide_many_stores_undecided_and_refuses_decided(tmp_path: Path) -> None:
    store = DecisionStore(tmp_path)
    store.decide(_new(1))
    stored, refused = store.decide_many([_new(i, who="bob") for i in range(4)])
    assert [d.index for d in stored] == [0, 2, 3]
    assert len(refused) == 1 and "word 1" in str(refused[0])


def _worker(out: str, who: str, order: list[int], start: threading.Barrier | None) -> list[int]:
    store = DecisionStore(Path(out))
    won = []
    if start is not None:
        start.wait()
    for index in order:
        try:
            store.decide(_new(index, A.APPROVE, who))
            won.append(index)
        except DecisionConflictError:
            pass
    return won


def _check(out: Path, won_a: list[int], won_b: list[int], label: str) -> None:
    store = DecisionStore(out)
    rows = store.history()
    stored = {d.index: d.reviewer for d in rows}
    lost = [i for i in won_a if stored.get(i) != "ann"] + [
        i for i in won_b if stored.get(i) != "bob"
    ]
    double = len(rows) - len(stored)
    transcript = read_transcript(out)
    applied = apply_decisions(transcript, rows)
    changed = sum(1 for w in applied.words if w.source is Source.REVIEWER)
    print(
        f"\n{label}: accepted ann={len(won_a)} bob={len(won_b)}, refused "
        f"{2 * N - len(won_a) - len(won_b)}; stored {len(rows)} rows for {len(stored)} words, "
        f"lost {len(lost)}, double {double}, applied {changed}"
    )
    assert len(won_a) + len(won_b) == N
    assert not set(won_a) & set(won_b)
    assert len(rows) == N and len(stored) == N
    assert lost == [] and double == 0
    assert changed == N
    assert all(w.action is Action.CORRECTED for w in applied.words)


def test_two_threads_decide_200_items(tmp_path: Path) -> None:
    out = build_many(tmp_path, N)
    DecisionStore(out)
    start = threading.Barrier(2)
    results: dict[str, list[int]] = {}

    def run(who: str, order: list[int]) -> None:
        results[who] = _worker(str(out), who, order, start)

    race(run, N)
    _check(out, results["ann"], results["bob"], "threads")


def test_two_processes_decide_200_items(tmp_path: Path) -> None:
    out = build_many(tmp_path, N)
    DecisionStore(out)
    order = list(range(N))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        a = pool.submit(_worker, str(out), "ann", order[::2] + order[1::2], None)
        b = pool.submit(_worker, str(out), "bob", order[1::2] + order[::2], None)
        won_a, won_b = a.result(timeout=60), b.result(timeout=60)
    _check(out, won_a, won_b, "processes")


def test_decisions_from_another_transcript_are_stale_not_conflicts(tmp_path: Path) -> None:
    old = DecisionStore(tmp_path, "fp-old")
    old.decide(_new(3, A.APPROVE, "ann"))
    old.decide(_new(4, A.REJECT, "ann", after="W4X"))
    assert [d.fingerprint for d in old.history()] == ["fp-old", "fp-old"]
    new = DecisionStore(tmp_path, "fp-new")
    assert new.effective() == {}
    assert sorted(new.stale()) == [3, 4]
    decided = new.decide(_new(3, A.EDIT, "bob", after="W3Y"))  # no conflict with the stale one
    assert (decided.revision, decided.fingerprint) == (1, "fp-new")
    assert list(new.effective()) == [3] and list(new.stale()) == [4]
    assert len(new.history()) == 3  # the audit log keeps everything
    assert old.effective()[4].action is A.REJECT and 3 not in old.effective()


def test_rows_without_fingerprint_are_stamped_by_the_first_store_with_one(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / DB_NAME) as conn:  # a database from before fingerprints
        conn.execute(
            "CREATE TABLE decisions (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "word_index INTEGER NOT NULL, revision INTEGER NOT NULL DEFAULT 0, "
            "action TEXT NOT NULL, ocr_text TEXT NOT NULL, before TEXT NOT NULL, "
            "after TEXT NOT NULL, reviewer TEXT NOT NULL, decided_at TEXT NOT NULL, "
            "supersedes INTEGER REFERENCES decisions(id), UNIQUE (word_index, revision))"
        )
        conn.execute(
            "INSERT INTO decisions (word_index, revision, action, ocr_text, before, after, "
            "reviewer, decided_at) VALUES (1, 0, 'approve', 'W1X', 'W1', 'W1', 'ann', 't')"
        )
    conn.close()
    assert DecisionStore(tmp_path).history()[0].fingerprint is None
    assert list(DecisionStore(tmp_path, "fp-a").effective()) == [1]
    assert DecisionStore(tmp_path).history()[0].fingerprint == "fp-a"
    assert list(DecisionStore(tmp_path, "fp-b").stale()) == [1]
