from __future__ import annotations

import dataclasses

import pytest

from pipeline.config import CorrectionConfig
from pipeline.correct import correct_transcript
from pipeline.correction.punctuation import speck_period
from pipeline.lexicon import Lexicon, load_lexicon
from pipeline.records import Action, Source, Transcript

CONFIG = CorrectionConfig()


def _counts() -> Lexicon:
    """A corpus where THE is never followed by a period and SOVIETS often follows one."""
    return Lexicon(
        cable_unigrams={"THE": 5000, "SOVIETS": 400, "AGREED": 300, "TO": 3000, "OF": 4000},
        cable_bigrams={},
        english_unigrams={},
        english_bigrams={},
        period_after={"AGREED": 30, "TO": 12, "SOVIETS": 40},
        period_before={"SOVIETS": 60, "THE": 900},
    )


def test_a_period_after_a_word_that_never_ends_a_sentence_is_a_speck() -> None:
    lexicon = _counts()
    judged = speck_period(lexicon, "THE.", "SOVIETS")
    assert judged is not None
    assert judged[0] == "THE"
    assert judged[1] > 0.9
    # Words that do end sentences, even rarely, are not judged: AGREED TO. THE ...
    assert speck_period(lexicon, "AGREED.", "THE") is None
    assert speck_period(lexicon, "TO.", "THE") is None


@pytest.mark.parametrize(
    ("token", "following"),
    [
        ("THE", "SOVIETS"),  # no period
        ("THE.", "27."),  # a paragraph number follows
        ("THE.", "(SOVIETS"),  # a bracket opens a new unit
        ("U.S.", "SOVIETS"),  # an abbreviation with inner periods
        ("T.", "SOVIETS"),  # an initial
        ("XYZZY.", "SOVIETS"),  # a word never counted
    ],
)
def test_only_a_final_period_between_two_counted_words_is_judged(
    token: str, following: str
) -> None:
    assert speck_period(_counts(), token, following) is None


def test_no_period_counts_judge_nothing() -> None:
    lexicon = _counts()
    lexicon.period_after = {}
    assert speck_period(lexicon, "THE.", "SOVIETS") is None


def test_correction_removes_speck_periods_in_all_caps_cables_only() -> None:
    lexicon = load_lexicon(CorrectionConfig())
    caps = Transcript.from_tokens([["AN", "INCENTIVE", "TO", "THE.", "SOVIETS", "TO", "ACT."]])
    words = correct_transcript(caps, lexicon, CorrectionConfig()).words
    assert [w.final_text for w in words] == [
        "AN",
        "INCENTIVE",
        "TO",
        "THE",
        "SOVIETS",
        "TO",
        "ACT.",
    ]
    assert words[3].action is Action.FLAGGED  # word statistics only: always for review
    assert words[3].source is Source.CONFUSION
    assert words[3].alternatives == ("THE.",)
    mixed = Transcript.from_tokens([["An", "incentive", "to", "the.", "Soviets", "to", "act."]])
    assert [w.final_text for w in correct_transcript(mixed, lexicon, CorrectionConfig()).words][
        3
    ] == "the."


def test_joined_line_end_halves_and_protected_tokens_keep_their_period() -> None:
    lexicon = load_lexicon(CorrectionConfig())
    joined = Transcript.from_tokens([["NEW", "IDE-", "AS.", "THE", "MINISTER", "AGREED."]])
    words = list(joined.words)
    words[2] = dataclasses.replace(words[2], glue="")  # IDE- + AS. joined at a line end
    out = correct_transcript(dataclasses.replace(joined, words=tuple(words)), lexicon, CONFIG)
    assert out.words[2].final_text == "AS."
    lexicon.protected = lexicon.protected | {"WOULD"}  # a removal rejected in review
    said = Transcript.from_tokens([["HE", "SAID", "HE", "WOULD.", "THE", "MINISTER", "LEFT."]])
    assert correct_transcript(said, lexicon, CONFIG).words[3].final_text == "WOULD."


def test_the_next_word_after_a_merged_letter_spaced_run_is_the_merged_word() -> None:
    lexicon = load_lexicon(CorrectionConfig())
    tokens = ["TO", "THE.", "S", "E", "C", "R", "E", "T", "TALKS"]
    words = correct_transcript(Transcript.from_tokens([tokens]), lexicon, CONFIG).words
    assert words[2].final_text == "SECRET"
    assert words[1].final_text == "THE"
