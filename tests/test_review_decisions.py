from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from test_review_support import XSS, build_transcript

from pipeline.records import Action, Source, Transcript
from pipeline.review.decisions import (
    Decision,
    DecisionAction,
    apply_decisions,
    decided_text,
    effective_decisions,
    identical_items,
    pending_items,
    progress,
    summarize,
    transcript_fingerprint,
)
from pipeline.review.learn import PROTECTED, USER_WORDS, append_unique, lessons, teach, tokens

A = DecisionAction


def _t() -> Transcript:
    return build_transcript("cable.txt", None)


def _d(
    index: int, action: DecisionAction, after: str, revision: int = 0, ocr: str | None = None
) -> Decision:
    words = _t().words
    return Decision(
        index=index,
        action=action,
        ocr_text=words[index].ocr_text if ocr is None else ocr,
        before=words[index].final_text if index < len(words) else "",
        after=after,
        reviewer="ann",
        revision=revision,
    )


def test_queue_holds_flagged_words_least_certain_first() -> None:
    items = pending_items(_t())
    assert [i.index for i in items] == [3, 1, 6, 5, 8]
    first = items[0]
    assert (first.ocr_text, first.proposal) == (XSS, "SCRIPT")
    assert first.line_before == "1. MOSCW REPORTS" and first.line_after == ""
    assert items[1].line_before == "1." and items[1].line_after.startswith("REPORTS")


def test_queue_falls_back_to_ocr_confidence_then_zero() -> None:
    t = _t()
    words = list(t.words)
    words[1] = replace(words[1], posterior=None, ocr_confidence=0.1)
    words[3] = replace(words[3], posterior=None, ocr_confidence=None)
    items = pending_items(replace(t, words=tuple(words)))
    assert [i.index for i in items][:2] == [3, 1]


def test_line_context_is_cut_to_a_window() -> None:
    t = _t()
    words = [replace(w, line=0) for w in t.words] * 3
    words = [replace(w, index=i) for i, w in enumerate(words)]
    item = next(i for i in pending_items(replace(t, words=tuple(words))) if i.index == 15)
    assert item.line_before.startswith("\u2026 ") and len(item.line_before.split()) == 13
    assert item.line_after.endswith(" \u2026") and len(item.line_after.split()) == 13


def test_alternatives_exclude_the_proposal() -> None:
    unga = next(i for i in pending_items(_t()) if i.index == 6)
    assert unga.alternatives == ("UNGA",)
    moscw = next(i for i in pending_items(_t()) if i.index == 1)
    assert moscw.alternatives == ("MOSCA", "MOSS")


def test_decided_text_per_action() -> None:
    item = next(i for i in pending_items(_t()) if i.index == 1)
    assert decided_text(item, A.APPROVE) == "MOSCOW"
    assert decided_text(item, A.REJECT) == "MOSCW"
    assert decided_text(item, A.EDIT, "  MOSCOW  EMBASSY ") == "MOSCOW EMBASSY"
    with pytest.raises(ValueError):
        decided_text(item, A.EDIT, "   ")


def test_apply_approve_reject_edit_skip() -> None:
    t = _t()
    out = apply_decisions(
        t,
        [
            _d(1, A.APPROVE, "MOSCOW"),
            _d(6, A.REJECT, "UNGA"),
            _d(5, A.EDIT, "THE"),
            _d(8, A.SKIP, "THE"),
        ],
    )
    w = out.words
    assert (w[1].final_text, w[1].action, w[1].source, w[1].posterior) == (
        "MOSCOW",
        Action.CORRECTED,
        Source.REVIEWER,
        1.0,
    )
    assert (w[6].final_text, w[6].action, w[6].source) == ("UNGA", Action.KEPT, Source.REVIEWER)
    assert (w[5].final_text, w[5].action) == ("THE", Action.CORRECTED)
    assert w[8] == t.words[8]  # skipped: still flagged, unchanged
    assert w[3] == t.words[3]  # undecided
    assert out.text().strip() == "1. MOSCOW REPORTS SCRIPT THAT THE UNGA SESSION THE ENDS"
    review = [s for s in out.steps if s.stage == "review"]
    assert len(review) == 1 and review[0].settings["approved"] == 1


def test_edit_back_to_ocr_text_is_kept() -> None:
    out = apply_decisions(_t(), [_d(6, A.EDIT, "UNGA")])
    assert out.words[6].action is Action.KEPT


def test_highest_revision_wins_and_apply_is_idempotent() -> None:
    decisions = [_d(1, A.APPROVE, "MOSCOW"), _d(1, A.EDIT, "MOSCA", revision=1)]
    assert effective_decisions(decisions)[1].after == "MOSCA"
    once = apply_decisions(_t(), decisions)
    twice = apply_decisions(once, decisions)
    assert once == twice
    assert once.words[1].final_text == "MOSCA"
    assert [s.stage for s in twice.steps].count("review") == 1


def test_stale_decisions_are_ignored_and_counted() -> None:
    decisions = [_d(1, A.APPROVE, "MOSCOW", ocr="OTHER"), _d(99, A.REJECT, "X", ocr="X")]
    out = apply_decisions(_t(), decisions)
    assert out.words == _t().words
    assert summarize(_t(), decisions).stale == 2


def test_decisions_made_on_another_transcript_are_stale() -> None:
    current = transcript_fingerprint(_t())
    other = replace(_t(), words=_t().words[:-1])
    assert transcript_fingerprint(other) != current
    mine = replace(_d(1, A.APPROVE, "MOSCOW"), fingerprint=current)
    theirs = replace(_d(6, A.REJECT, "UNGA"), fingerprint=transcript_fingerprint(other))
    unknown = _d(5, A.EDIT, "TEN")  # no fingerprint recorded: judged by its OCR text only
    decisions = [mine, theirs, unknown]
    out = apply_decisions(_t(), decisions)
    assert [w.final_text for w in out.words if w.index in (1, 5, 6)] == ["MOSCOW", "TEN", "UNGAR"]
    assert out.words[6].source is not Source.REVIEWER
    summary = summarize(_t(), decisions)
    assert (summary.applied, summary.stale) == (2, 1)
    assert lessons(_t(), decisions).protected == ()
    decided = apply_decisions(_t(), [replace(theirs, fingerprint=current)])
    assert 6 in {i.index for i in pending_items(decided, {6: replace(theirs, fingerprint=current)})}
    assert 6 not in {i.index for i in pending_items(decided, {6: theirs})}
    assert transcript_fingerprint(out) == current  # applying decisions keeps the fingerprint


def test_decided_words_stay_in_queue_with_their_original_proposal() -> None:
    decisions = {6: _d(6, A.REJECT, "UNGA")}
    applied = apply_decisions(_t(), decisions)
    items = pending_items(applied, decisions)
    unga = next(i for i in items if i.index == 6)
    assert (unga.proposal, unga.alternatives) == ("UNGAR", ("UNGA",))
    assert len(items) == 5
    assert len(pending_items(applied)) == 4


def test_identical_items_and_progress() -> None:
    items = pending_items(_t())
    teh = next(i for i in items if i.index == 5)
    assert [i.index for i in identical_items(items, teh)] == [8]
    decisions = {5: _d(5, A.APPROVE, "THE"), 8: _d(8, A.SKIP, "THE")}
    assert progress(items, decisions) == (1, 5)


def test_lessons_from_decisions() -> None:
    decisions = [
        _d(1, A.APPROVE, "MOSCOW"),
        _d(6, A.REJECT, "UNGA"),
        _d(5, A.EDIT, '"THE,'),
        _d(8, A.SKIP, "THE"),
        _d(3, A.APPROVE, "SCRIPT", ocr="CHANGED"),
    ]
    found = lessons(_t(), decisions)
    assert found.user_words == ("MOSCOW", "THE")
    assert found.protected == ("UNGA",)
    assert tokens("(U.S. POLICY), END SUMMARY.") == ["U.S.", "POLICY", "END", "SUMMARY"]


def test_teach_appends_without_duplicates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CABLE_OCR_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / USER_WORDS).write_text("AMEMBASSY\nMOSCOW\n", encoding="utf-8")
    found = lessons(
        _t(), [_d(1, A.APPROVE, "MOSCOW"), _d(5, A.APPROVE, "THE"), _d(6, A.REJECT, "U")]
    )
    assert teach(found) == (1, 1)
    assert teach(found) == (0, 0)
    assert (tmp_path / "home" / USER_WORDS).read_text(
        encoding="utf-8"
    ) == "AMEMBASSY\nMOSCOW\nTHE\n"
    assert (tmp_path / "home" / PROTECTED).read_text(encoding="utf-8") == "UNGA\n"
    listed = tmp_path / "x.txt"
    listed.write_text("# taught by review\nMoscow\t3\n", encoding="utf-8")
    assert append_unique(listed, ["A", "a", " ", "MOSCOW", "B"]) == 2
    assert listed.read_text(encoding="utf-8") == "# taught by review\nMoscow\t3\nA\nB\n"
