"""scripts/build_dictionaries.py: FRUS-wide counts without the held-out telegrams, triples."""

from __future__ import annotations

import importlib.util
import math
import string
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_dictionaries", ROOT / "scripts/build_dictionaries.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_dictionaries", module)
    spec.loader.exec_module(module)
    return module


def test_frus_counts_subtract_held_out_telegrams(tmp_path: Path) -> None:
    build = _script()
    cables = tmp_path / "cables"
    cables.mkdir()
    (cables / "wordfreq_frus_all.tsv").write_text(
        "token\tcount\tdoc_freq\nTHE\t10\t3\nEMBASSY\t4\t2\nSECRETLY\t1\t1\n", encoding="utf-8"
    )
    (cables / "bigrams_frus_all.tsv").write_text(
        "token1\ttoken2\tcount\nTHE\tEMBASSY\t4\nEMBASSY\tSAID\t3\n", encoding="utf-8"
    )
    unigrams, bigrams = build._frus_counts(tmp_path, ["THE EMBASSY SECRETLY", "PAGE 2 THE"])
    # Held out: THE, EMBASSY, SECRETLY (the page line is skipped, as in the lists).
    assert unigrams == {"THE": 9, "EMBASSY": 3}
    # THE EMBASSY keeps 3 (still at the list's threshold); EMBASSY SAID is untouched.
    assert bigrams == {"THE EMBASSY": 3, "EMBASSY SAID": 3}
    _, bigrams = build._frus_counts(tmp_path, ["THE EMBASSY", "THE EMBASSY"])
    assert bigrams == {"EMBASSY SAID": 3}  # 4 - 2 falls below the threshold: dropped


def test_triples_are_counted_within_lines_and_kept_from_two() -> None:
    build = _script()
    triples = build._trigrams(["A B C\nB C D\nA B C D", "X Y\nZ"])
    assert triples == {"A B C": 2, "B C D": 2}


def test_periods_are_counted_after_and_before_words() -> None:
    build = _script()
    after, before = build._period_counts(
        ['THE TALKS ENDED. "WE AGREED.\n3. TALKS RESUME (SOON.)', "PAGE 2 ENDED. X"]
    )
    # A page line is skipped; a paragraph number ends like a sentence; quotes and brackets
    # around a word do not hide its period.
    assert after == {"ENDED": 1, "AGREED": 1, "SOON": 1}
    assert before == {"WE": 1, "TALKS": 1}


def test_spelling_model_is_a_distribution_and_prefers_word_like_letters() -> None:
    from pipeline.lexicon import Lexicon

    build = _script()
    words = Counter({"CABLE": 3, "TABLE": 2, "X": 1})
    model = build._char_model(words, Counter(), {"CAB"}, set())
    lexicon = Lexicon(
        cable_unigrams={"THE": 1},
        cable_bigrams={},
        english_unigrams={"THE": 1},
        english_bigrams={},
        char_grams=model["grams"],
        char_backoff=model["backoff"],
        char_order=model["order"],
        char_alphabet=model["alphabet"],
    )
    # After any history (seen, partly seen, unseen) the next characters' probabilities sum
    # to one over A-Z and the end of the word.
    for history in ("^^^", "^CA", "TAB", "QQQ", "^^Q"):
        total = sum(math.exp(lexicon.char_logp(history, c)) for c in string.ascii_uppercase + "$")
        assert total == pytest.approx(1.0, abs=1e-3)  # stored rounded to 4 decimals
    assert lexicon.spelling_logp("CABLE") > lexicon.spelling_logp("CQBLX")
    assert lexicon.spelling_logp("TABLE") > lexicon.spelling_logp("TABLEX")
