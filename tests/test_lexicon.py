from __future__ import annotations

import gzip
import math
import pickle
import time
from pathlib import Path

import pytest

from pipeline.config import CorrectionConfig
from pipeline.errors import DictionaryError, ExitCode
from pipeline.lexicon import (
    FORMAT_VERSION,
    LEXICON_FILE,
    TREE_SHARE,
    Calibration,
    Lexicon,
    load_lexicon,
    read_word_list,
)
from pipeline.resources import data_path


def _payload(**overrides: object) -> dict[str, object]:
    payload: dict[str, object] = {
        "version": FORMAT_VERSION,
        "cable_unigrams": {"THE": 100, "EMBASSY": 5},
        "cable_bigrams": {"THE EMBASSY": 30},
        "english_unigrams": {"THE": 1000},
        "english_bigrams": {"OF THE": 10},
        "vocabulary": ["REFTEL"],
    }
    payload.update(overrides)
    return payload


def _write(folder: Path, payload: object) -> CorrectionConfig:
    with gzip.open(folder / LEXICON_FILE, "wb") as handle:
        pickle.dump(payload, handle)
    return CorrectionConfig(dictionaries_dir=str(folder))


@pytest.fixture(autouse=True)
def _no_user_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CABLE_OCR_HOME", str(tmp_path / "home"))


def test_bundled_dictionaries_load_fast_and_know_cable_words() -> None:
    start = time.perf_counter()
    lexicon = load_lexicon(CorrectionConfig())
    elapsed = time.perf_counter() - start
    assert elapsed < 1.5  # measured ~0.15-0.3 s; generous for a shared machine
    for word in ("SECSTATE", "WASHDC", "REFTEL", "NODIS", "PREL", "AMEMBASSY", "OADR", "COCOM"):
        assert lexicon.is_fixed(word), word
    assert lexicon.is_valid("MANAGEABLE")
    assert not lexicon.is_valid("USZCXHIS")
    assert (data_path("dictionaries") / "heldout_ids.txt").is_file()


def test_small_lexicon_loads(tmp_path: Path) -> None:
    lexicon = load_lexicon(_write(tmp_path, _payload()))
    assert lexicon.is_valid("EMBASSY") and lexicon.is_fixed("REFTEL")
    assert lexicon.bigram_logp("THE", "EMBASSY") > lexicon.unigram_logp("EMBASSY")


def test_missing_dictionary(tmp_path: Path) -> None:
    with pytest.raises(DictionaryError) as info:
        load_lexicon(CorrectionConfig(dictionaries_dir=str(tmp_path)))
    assert info.value.exit_code is ExitCode.DICTIONARY_ERROR


def test_empty_dictionary(tmp_path: Path) -> None:
    (tmp_path / LEXICON_FILE).write_bytes(b"")
    with pytest.raises(DictionaryError, match="empty"):
        load_lexicon(CorrectionConfig(dictionaries_dir=str(tmp_path)))


@pytest.mark.parametrize("content", [b"not gzip at all", gzip.compress(b"not a pickle")])
def test_corrupt_dictionary(tmp_path: Path, content: bytes) -> None:
    (tmp_path / LEXICON_FILE).write_bytes(content)
    with pytest.raises(DictionaryError, match="corrupt"):
        load_lexicon(CorrectionConfig(dictionaries_dir=str(tmp_path)))


def test_dictionary_with_objects_is_refused(tmp_path: Path) -> None:
    config = _write(tmp_path, _payload(vocabulary=Calibration()))
    with pytest.raises(DictionaryError, match="corrupt"):
        load_lexicon(config)


@pytest.mark.parametrize(
    "payload", [_payload(version=99), _payload(cable_unigrams={}), ["a", "list"]]
)
def test_malformed_dictionary(tmp_path: Path, payload: object) -> None:
    with pytest.raises(DictionaryError):
        load_lexicon(_write(tmp_path, payload))


def test_corrupt_calibration(tmp_path: Path) -> None:
    config = _write(tmp_path, _payload())
    (tmp_path / "calibration.json").write_text("{oops", encoding="utf-8")
    with pytest.raises(DictionaryError, match="calibration"):
        load_lexicon(config)


def test_user_words_and_protected(tmp_path: Path) -> None:
    config = _write(tmp_path, _payload())
    words = tmp_path / "words.txt"
    words.write_text("# approved\nKHALATBARY\t7\nfonoff\n", encoding="utf-8")
    protected = tmp_path / "protected.txt"
    protected.write_text("ZFF4\n", encoding="utf-8")
    from dataclasses import replace

    lexicon = load_lexicon(
        replace(config, user_dictionary=str(words), protected_file=str(protected))
    )
    assert lexicon.user_words == {"KHALATBARY": 7, "FONOFF": 1}
    assert lexicon.is_valid("KHALATBARY") and lexicon.is_fixed("FONOFF")
    assert "ZFF4" in lexicon.protected


def test_user_files_from_user_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _write(tmp_path, _payload())
    home = tmp_path / "home2"
    home.mkdir()
    (home / "user_words.txt").write_text("NEWWORD\n", encoding="utf-8")
    (home / "protected.txt").write_text("KEEPME\n", encoding="utf-8")
    monkeypatch.setenv("CABLE_OCR_HOME", str(home))
    lexicon = load_lexicon(config)
    assert lexicon.is_valid("NEWWORD") and "KEEPME" in lexicon.protected


def test_bad_word_list(tmp_path: Path) -> None:
    path = tmp_path / "w.txt"
    path.write_text("WORD\tmany\n", encoding="utf-8")
    with pytest.raises(DictionaryError, match="integer"):
        read_word_list(path, counts=True)
    with pytest.raises(DictionaryError, match="not found"):
        load_lexicon(
            CorrectionConfig(
                dictionaries_dir=str(tmp_path), user_dictionary=str(tmp_path / "absent.txt")
            )
        )


def test_calibration_is_monotone() -> None:
    cal = Calibration(0.5, 0.3)
    values = [cal(p / 10) for p in range(1, 10)]
    assert values == sorted(values)
    assert Calibration()(0.7) == pytest.approx(0.7)


def test_derived_words() -> None:
    lexicon = Lexicon(
        cable_unigrams={"CIVILIAN": 5, "AGGRESSION": 3},
        cable_bigrams={},
        english_unigrams={"THE": 1},
        english_bigrams={},
    )
    assert lexicon.is_derived("CIVILIANIZE")
    assert lexicon.is_derived("NONAGGRESSION")
    assert not lexicon.is_derived("CIVILIANXYZ")


def test_spelling_changes_at_the_suffix_joint() -> None:
    lexicon = Lexicon(
        cable_unigrams={"COUNTRY": 9, "STUDY": 4, "CONTROL": 5, "MANAGE": 3, "HAPPY": 2},
        cable_bigrams={},
        english_unigrams={"THE": 1},
        english_bigrams={},
    )
    derived = ("STUDIED", "CONTROLLED", "MANAGING", "HAPPILY", "COUNTRYS")
    assert all(lexicon.is_derived(w) for w in derived)
    # A plural of -Y is -IES; a lost E (COUNTRIS) is a garble, not a derived word.
    assert not lexicon.is_derived("COUNTRIS")
    # A doubled consonant or a dropped E only before a vowel.
    assert not lexicon.is_derived("CONTROLLLY") and not lexicon.is_derived("MANAGLY")


def test_compounds_unless_known_pair() -> None:
    lexicon = Lexicon(
        cable_unigrams={"CENTER": 5, "PIECE": 3, "SOVIET": 9, "UNION": 9},
        cable_bigrams={"SOVIET UNION": 7},
        english_unigrams={"THE": 1},
        english_bigrams={},
    )
    assert lexicon.is_derived("CENTERPIECE")
    assert not lexicon.is_derived("SOVIETUNION")


def test_calibration_weights_are_read(tmp_path: Path) -> None:
    config = _write(tmp_path, _payload())
    (tmp_path / "calibration.json").write_text(
        '{"a": 0.5, "b": 0.1, "weights": [0.0, 1.0]}', encoding="utf-8"
    )
    cal = load_lexicon(config).calibration
    assert cal.weights == (0.0, 1.0)
    assert cal.logistic((1.0, 0.0)) == pytest.approx(0.5)


def test_boosted_trees_are_read_and_give_the_posterior(tmp_path: Path) -> None:
    config = _write(tmp_path, _payload())
    (tmp_path / "calibration.json").write_text(
        '{"a": 1, "b": 0, "weights": [0.0, 0.0], "base": 0.5,'
        ' "trees": [[1, 0.0, -2.0, [1, 1.0, 0.5, 1.5]], 0.25]}',
        encoding="utf-8",
    )
    cal = load_lexicon(config).calibration
    assert cal.trees == ((1, 0.0, -2.0, (1, 1.0, 0.5, 1.5)), 0.25)
    logit = {-1.0: 0.5 - 2.0 + 0.25, 0.5: 0.5 + 0.5 + 0.25, 3.0: 0.5 + 1.5 + 0.25}
    only_trees = Calibration(base=cal.base, trees=cal.trees)
    for x, z in logit.items():
        assert only_trees.posterior((1.0, x)) == pytest.approx(1 / (1 + math.exp(-z)))
        # With the logistic model too (log odds 0 here), the two are averaged.
        blended = TREE_SHARE * z
        assert cal.posterior((1.0, x)) == pytest.approx(1 / (1 + math.exp(-blended)))
    assert Calibration(weights=(0.0, 1.0)).posterior((1.0, 0.0)) == pytest.approx(0.5)


def test_frus_counts_and_cable_triples_inform_the_context() -> None:
    def make(**extra: object) -> Lexicon:
        return Lexicon(
            cable_unigrams={"THE": 50, "EMBASSY": 5, "REPORTS": 3, "OF": 40, "AXLE": 1},
            cable_bigrams={"THE EMBASSY": 4, "EMBASSY REPORTS": 2},
            english_unigrams={"THE": 1000, "OF": 800, "AXLE": 2, "EMBASSY": 1},
            english_bigrams={"OF THE": 10},
            english_left={"OF": 10},
            **extra,  # type: ignore[arg-type]
        )

    plain = make()
    wide = make(
        frus_unigrams={"THE": 500, "EMBASSY": 50, "REPORTS": 20, "OF": 400},
        frus_bigrams={"EMBASSY REPORTS": 15},
        cable_trigrams={"THE EMBASSY REPORTS": 2},
    )
    assert plain.weights[1] == 0.0 and wide.weights[1] > 0.0
    assert wide.pair_seen("EMBASSY", "REPORTS") and not wide.pair_seen("REPORTS", "EMBASSY")
    assert wide.trigram_logp("THE", "EMBASSY", "REPORTS") > wide.bigram_logp("EMBASSY", "REPORTS")
    assert wide.trigram_logp(None, "EMBASSY", "OF") == wide.bigram_logp("EMBASSY", "OF")
    ceiling = wide.unigram_ceiling()
    assert all(wide.unigram_logp(w) <= ceiling for w in ("THE", "OF", "EMBASSY", "AXLE"))
    # A valid word barely seen in cable and FRUS-wide text is checked like an unknown one.
    assert wide.is_rare("AXLE") and not wide.is_rare("EMBASSY") and not wide.is_rare("XYZZY")
    assert not plain.is_rare("AXLE")  # without FRUS-wide counts rarity is not known
    # A longer such word only when English seldom has it either.
    longer = Lexicon(
        cable_unigrams={"THE": 50},
        cable_bigrams={},
        english_unigrams={"STABLISH": 16_000, "STRENGTH": 500_000},
        english_bigrams={},
        frus_unigrams={"THE": 500},
    )
    assert longer.is_rare("STABLISH") and not longer.is_rare("STRENGTH")
    assert wide.seen("REPORTS") and not wide.seen("XYZZY")


def test_candidate_index_is_cached_on_disk_and_rebuilt_when_unreadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.correction.candidates import candidate_index

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    built = candidate_index(load_lexicon(CorrectionConfig()))
    files = list((tmp_path / "cable-ocr").glob("candidate-index-*.pickle"))
    assert len(files) == 1
    loaded = candidate_index(load_lexicon(CorrectionConfig()))
    assert loaded is not built and vars(loaded) == vars(built)
    files[0].write_bytes(b"not a pickle")
    rebuilt = candidate_index(load_lexicon(CorrectionConfig()))
    assert vars(rebuilt) == vars(built)


def test_only_the_newest_cached_indexes_are_kept(tmp_path: Path) -> None:
    import os

    from pipeline.correction.candidates import prune_index_cache

    for number in range(5):
        path = tmp_path / f"candidate-index-v5-{number:032x}.pickle"
        path.write_bytes(b"x")
        os.utime(path, ns=(number * 10**9, number * 10**9))
    (tmp_path / "other.txt").write_text("kept", encoding="utf-8")
    prune_index_cache(tmp_path, keep=3)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [f"candidate-index-v5-{n:032x}.pickle" for n in (2, 3, 4)] + ["other.txt"]
