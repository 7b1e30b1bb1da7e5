from __future__ import annotations

import random

from pipeline.correction.garble import KINDS, garble_tokens

SENTENCE = "THE GOVERNMENT OF JAPAN HAS PROVIDED ITS RESPONSE TO THE EMBASSY NOTE ON THE PAIR"
WORDS = SENTENCE.split(" ") * 40


def test_scattered_garbles_are_two_confusions_apart() -> None:
    out = garble_tokens(WORDS, random.Random(3), 0.5, ("scattered",))
    garbled = [t for t in out if t.kind == "scattered"]
    assert len(garbled) > 20
    for token in garbled:
        assert len(token.text) == len(token.truth)
        diff = [i for i, (a, b) in enumerate(zip(token.text, token.truth, strict=True)) if a != b]
        assert len(diff) == 2 and diff[1] - diff[0] >= 2
    # Without two confusable letters apart, one confusion (PAIR has one I; an M may become
    # RN), and a burst where there is none at all (JAPAN).
    assert {t.kind for t in out} == {"", "scattered", "ocr", "burst"}
    for token in out:
        if token.kind == "ocr":
            diff = [
                i for i, (a, b) in enumerate(zip(token.text, token.truth, strict=False)) if a != b
            ]
            assert len(diff) == 1 or len(token.text) == len(token.truth) + 1


def test_default_kinds_do_not_include_the_separate_ones() -> None:
    assert "scattered" not in KINDS and "symbol" not in KINDS
    out = garble_tokens(WORDS, random.Random(4), 0.3)
    assert {t.kind for t in out} <= {"", *KINDS}
