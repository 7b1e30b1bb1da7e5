from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.config import CorrectionConfig
from pipeline.correct import band, correct_transcript
from pipeline.lexicon import Lexicon, load_lexicon
from pipeline.records import Action, Source, Transcript, Zone

CASES = json.loads((Path(__file__).parent / "data" / "correction_cases.json").read_text("utf-8"))
CONFIG = CorrectionConfig()


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon(CONFIG)


def make(lines: list[str], zone: Zone = Zone.BODY, conf: float | None = None) -> Transcript:
    return Transcript.from_tokens([line.split() for line in lines], zone, conf)


def _case_params() -> list[object]:
    params: list[object] = []
    for case in CASES["cases"]:
        marks = []
        if case["expect"] == "fail":
            marks.append(pytest.mark.xfail(strict=True, reason=case.get("note", "")))
        params.append(pytest.param(case, id=case["id"], marks=marks))
    return params


@pytest.mark.parametrize("case", _case_params())
def test_golden_case(case: dict[str, object], lexicon: Lexicon) -> None:
    lines = case["lines"]
    assert isinstance(lines, list)
    out = correct_transcript(make(lines), lexicon, CONFIG)
    assert out.text().strip() == case["want"]
    if case["expect"] == "flag":
        flagged = [w for w in out.words if w.action is Action.FLAGGED]
        assert [w.alternatives[:1] for w in flagged] == [(case["offered"],)]


VOCABULARY = [
    "SECSTATE",
    "WASHDC",
    "REFTEL",
    "SEPTEL",
    "NOTAL",
    "EMBOFF",
    "NODIS",
    "EXDIS",
    "LIMDIS",
    "OADR",
    "AMEMBASSY",
    "AMCONSUL",
    "USMISSION",
    "USNATO",
    "PREL",
    "PFOR",
    "PGOV",
    "ECON",
    "MARR",
    "SHUM",
    "OCON",
    "UNGA",
    "CSCE",
    "COCOM",
    "MFN",
    "NIACT",
    "FONMIN",
]


def test_cable_vocabulary_never_changes(lexicon: Lexicon) -> None:
    lines = [" ".join(VOCABULARY), "TAGS: " + ", ".join(VOCABULARY[:8])]
    for conf in (None, 0.2, 0.95):
        out = correct_transcript(make(lines, conf=conf), lexicon, CONFIG)
        assert [w.final_text for w in out.words] == [w.ocr_text for w in out.words]
        assert all(w.action is Action.KEPT for w in out.words)


def test_protected_and_user_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CABLE_OCR_HOME", str(tmp_path))
    line = ["THE AMBASSADOR MET KHALATRARY AND DISCUSED THE USZCXHIS PLAN"]
    base = load_lexicon(CONFIG)
    first = correct_transcript(make(line), base, CONFIG)
    assert {w.ocr_text for w in first.words if w.final_text != w.ocr_text} >= {"USZCXHIS"}
    (tmp_path / "protected.txt").write_text("USZCXHIS\n", encoding="utf-8")
    (tmp_path / "user_words.txt").write_text("KHALATRARY\t3\nDISCUSED\n", encoding="utf-8")
    taught = load_lexicon(CONFIG)
    out = correct_transcript(make(line), taught, CONFIG)
    for word in out.words:
        if word.ocr_text in {"USZCXHIS", "KHALATRARY", "DISCUSED"}:
            assert word.final_text == word.ocr_text and word.action is Action.KEPT


def test_punctuation_preserved(lexicon: Lexicon) -> None:
    out = correct_transcript(
        make(['WILL BECOME MORE "MAGEABLE" THAN (USZCXHIS) FACT, "C0NSULTATIONS."']),
        lexicon,
        CONFIG,
    )
    finals = {w.ocr_text: w.final_text for w in out.words}
    assert finals['"MAGEABLE"'] == '"MANAGEABLE"'
    assert finals["(USZCXHIS)"] == "(USE THIS)"
    assert finals['"C0NSULTATIONS."'] == '"CONSULTATIONS."'


def test_hyphenated_parts_checked_separately(lexicon: Lexicon) -> None:
    out = correct_transcript(
        make(["A FORWARD-LOOKNIG POLICY AND NON-AGGRESSIVE JACKSON-VANIK"]), lexicon, CONFIG
    )
    finals = [w.final_text for w in out.words]
    assert "FORWARD-LOOKING" in finals
    assert "NON-AGGRESSIVE" in finals and "JACKSON-VANIK" in finals


def test_codes_numbers_and_punctuation_left_alone(lexicon: Lexicon) -> None:
    tokens = [
        "1.",
        "221518Z",
        "NODS-00",
        "LOG-00",
        "/000",
        "-----017011",
        "04648",
        "(A)",
        "--",
        "...",
        "1970'S",
        "6-8",
        "EUR/PP",
    ]
    out = correct_transcript(make([" ".join(tokens)]), lexicon, CONFIG)
    assert [w.final_text for w in out.words] == tokens


def test_header_only_case_normalized(lexicon: Lexicon) -> None:
    words = list(make(["SUBJECT: US-SOVIET RELATiONS USZCXHIS"], zone=Zone.HEADER).words)
    body = make(["THE EMBASSY WILL REPORT FURTHER ON THESE ISSUES"]).words
    words += [replace(w, index=len(words) + k, paragraph=1) for k, w in enumerate(body)]
    out = correct_transcript(Transcript(words=tuple(words)), lexicon, CONFIG)
    finals = [w.final_text for w in out.words if w.zone is Zone.HEADER]
    assert finals == ["SUBJECT:", "US-SOVIET", "RELATIONS", "USZCXHIS"]


def test_mixed_case_text_is_conservative(lexicon: Lexicon) -> None:
    line = "The Secretary of State said that Mr. Kissinger would arrive in Paris on Tuesday"
    out = correct_transcript(make([line]), lexicon, CONFIG)
    assert out.text().strip() == line


def test_split_and_merge_consistent_with_text(lexicon: Lexicon) -> None:
    out = correct_transcript(
        make(["WE SHOULD USZCXHIS FACT", "S E C R E T SECTION 01 OF 07"]), lexicon, CONFIG
    )
    split = next(w for w in out.words if w.ocr_text == "USZCXHIS")
    assert split.final_text == "USE THIS" and split.source is Source.BURST
    merged = [w for w in out.words if w.line == 1][:6]
    assert merged[0].final_text == "SECRET" and merged[0].source is Source.SPLIT_MERGE
    assert all(w.final_text == "" and w.action is Action.CORRECTED for w in merged[1:])
    assert out.text() == "WE SHOULD USE THIS FACT\n\nSECRET SECTION 01 OF 07\n"
    assert [w.index for w in out.words] == list(range(14))


def test_posterior_bands() -> None:
    config = CorrectionConfig(apply_above=0.9, flag_above=0.5, mixed_case_apply_above=0.99)
    assert band(0.95, config, True) is Action.CORRECTED
    assert band(0.90, config, True) is Action.CORRECTED
    assert band(0.70, config, True) is Action.FLAGGED
    assert band(0.50, config, True) is Action.FLAGGED
    assert band(0.49, config, True) is None
    assert band(0.95, config, False) is None
    assert band(0.995, config, False) is Action.CORRECTED


def test_decisions_record_posterior_and_alternatives(lexicon: Lexicon) -> None:
    out = correct_transcript(make(["WE SHOULD USZCXHIS FACT TO HASTEN"]), lexicon, CONFIG)
    word = next(w for w in out.words if w.ocr_text == "USZCXHIS")
    assert word.posterior is not None and 0.5 <= word.posterior <= 1.0
    assert word.action is band(word.posterior, CONFIG, True)
    assert 1 <= len(word.alternatives) <= 5 and word.final_text not in word.alternatives


def test_low_confidence_flags_unfixable_word(lexicon: Lexicon) -> None:
    out = correct_transcript(make(["THE MINISTER QXZVWK SAID"], conf=0.2), lexicon, CONFIG)
    word = next(w for w in out.words if w.ocr_text == "QXZVWK")
    assert word.action is Action.FLAGGED


def test_disabled_is_identity(lexicon: Lexicon) -> None:
    transcript = make(["WE SHOULD USZCXHIS FACT"])
    assert correct_transcript(transcript, lexicon, replace(CONFIG, enabled=False)) is transcript


def test_other_fields_unchanged(lexicon: Lexicon) -> None:
    transcript = make(["WE SHOULD USZCXHIS FACT", "MORE MAGEABLE THAN"])
    out = correct_transcript(transcript, lexicon, CONFIG)
    for before, after in zip(transcript.words, out.words, strict=True):
        assert (before.index, before.page, before.line, before.box, before.zone) == (
            after.index,
            after.page,
            after.line,
            after.box,
            after.zone,
        )
        assert (before.paragraph, before.glue, before.ocr_text) == (
            after.paragraph,
            after.glue,
            after.ocr_text,
        )


WORDS = ["THE", "EMBASSY", "WILL", "REPORT", "SOVIET", "GOVERNMENT", "POLICY", "MINISTER"]
GARBLES = ["USZCXHIS", "MAGEABLE", "EGOSUMMARY", "GOVERNMNET", "C0NSULTATIONS", "DEVisING"]
OTHER = ["REFTEL", "NODS-00", "221518Z", '"QUOTED"', "(A)", "--", "regarding", "S", "E", "C"]
PROTECTED = ["USZCXHIS", "MAGEABLE"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.lists(st.sampled_from(WORDS + GARBLES + OTHER), min_size=1, max_size=12),
        min_size=1,
        max_size=4,
    )
)
def test_properties(lexicon: Lexicon, paragraphs: list[list[str]]) -> None:
    transcript = make([" ".join(p) for p in paragraphs])
    protected = replace(lexicon, protected=frozenset(PROTECTED), cache=lexicon.cache)
    out = correct_transcript(transcript, protected, CONFIG)
    assert len(out.words) == len(transcript.words)
    for word in out.words:
        if word.ocr_text in PROTECTED:
            assert word.final_text == word.ocr_text
    # idempotent on its own output
    again_lines = [
        " ".join(w.final_text for w in out.words if w.paragraph == n and w.final_text)
        for n in range(len(paragraphs))
    ]
    again = correct_transcript(make(again_lines), protected, CONFIG)
    assert [w.final_text for w in again.words] == [w.ocr_text for w in again.words]


def test_scattered_edits_come_from_symspell(lexicon: Lexicon) -> None:
    from pipeline.correction.candidates import SCATTERED_LOGP, generate

    def readings(token: str, distance: int) -> dict[str, tuple[float, Source]]:
        found = generate(token, lexicon, CONFIG.max_block, max_distance=distance)
        return {c.text: (c.channel, c.source) for c in found}

    # Two transpositions apart: no single block explains them, SymSpell does (distance 2).
    assert "GOVERNMENT" not in readings("GOVRENMNET", 0)
    assert readings("GOVRENMNET", 2)["GOVERNMENT"] == (2 * SCATTERED_LOGP, Source.DICTIONARY)
    assert "GOVERNMENT" not in readings("GOVRENMNET", 1)
    # A digit and a letter misread apart: the digit is mapped, SymSpell reads the rest.
    channel, source = readings("G0VERNMFNT", 2)["GOVERNMENT"]
    assert source is Source.CONFUSION and channel < SCATTERED_LOGP
    # A block edit keeps its own (block) channel: SymSpell only adds what blocks miss.
    assert readings("GOVERNXENT", 2)["GOVERNMENT"] == readings("GOVERNXENT", 0)["GOVERNMENT"]


def test_spell_index_is_restored_from_the_candidate_index_or_rebuilt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pickle

    from pipeline.correction import candidates

    built: list[int] = []
    build = candidates._build_spell

    def counting(lexicon: Lexicon, entries: Iterable[str]) -> object:
        built.append(1)
        return build(lexicon, entries)

    tokens = ("GOVRENMNET", "ACCEPATBLE", "EMBASYS")

    def readings(lexicon: Lexicon) -> list[list[str]]:
        spell = candidates.spell_index(lexicon)
        return [[s.term for s in spell.lookup(t, 2, max_edit_distance=2)] for t in tokens]

    fresh = load_lexicon(CONFIG)
    candidates.candidate_index(fresh)
    fresh.cache.pop("symspell", None)  # kept when the index was just built: restore it
    monkeypatch.setattr(candidates, "_build_spell", counting)
    restored = readings(fresh)
    assert built == [] and ["GOVERNMENT"] in restored
    # A copy holding anything but symspellpy's data is not unpickled: the index is rebuilt.
    tampered = load_lexicon(CONFIG)
    candidates.candidate_index(tampered).spell_state = pickle.dumps(Path("x"))
    assert readings(tampered) == restored and built == [1]


def test_burst_that_ate_a_short_next_word_finds_the_pair(lexicon: Lexicon) -> None:
    from pipeline.correction.candidates import generate

    texts = [c.text for c in generate("NUMBERMTR", lexicon, CONFIG.max_block)]
    assert "NUMBER OF" in texts  # burst ran to the end: frequent follower of NUMBER
    texts = [c.text for c in generate("MAJORITYKRF", lexicon, CONFIG.max_block)]
    assert "MAJORITY OF" in texts  # one letter of the next word left: a seen pair


def test_channel_prefers_narrow_edits() -> None:
    from pipeline.correction.channel import Edit, channel_logp

    drop = channel_logp(Edit(3, "", "E"), 9)[0]
    burst1 = channel_logp(Edit(3, "X", "E"), 9)[0]
    burst3 = channel_logp(Edit(3, "XYZ", "ENT"), 9)[0]
    insert = channel_logp(Edit(3, "X", ""), 9)[0]
    assert burst3 < burst1 <= drop
    assert insert < drop


def test_logistic_posterior_and_fit() -> None:
    from pipeline.correction.calibrate import fit_logistic
    from pipeline.correction.features import FEATURE_NAMES, ChangeEvidence, change_features
    from pipeline.lexicon import Calibration

    evidence = ChangeEvidence(
        token="MAJORITYKRF",
        candidate="MAJORITY OF",
        source=Source.BURST,
        score=-20.0,
        keep_score=-30.0,
        next_score=None,
        channel=-6.0,
        context=-12.0,
        token_spelling=-40.0,
        token_seen=False,
        repeats=1,
        candidates=3,
        unigram=-12.0,
        has_context=True,
        confidence=None,
        probability=0.9,
    )
    features = change_features(evidence)
    assert len(features) == len(FEATURE_NAMES) and features[0] == 1.0
    rows = [(1.0, x) for x in (-2.0, -1.0, -0.5, 0.5, 1.0, 2.0)]
    weights = fit_logistic(rows, [False, False, True, False, True, True])
    assert weights[1] > 0
    cal = Calibration(weights=weights)
    assert cal.logistic((1.0, 2.0)) > 0.5 > cal.logistic((1.0, -2.0))


def test_bundled_calibration_has_logistic_weights(lexicon: Lexicon) -> None:
    from pipeline.correction.features import FEATURE_NAMES

    assert len(lexicon.calibration.weights) in (0, len(FEATURE_NAMES))


def test_repeated_garble_gets_one_reading(lexicon: Lexicon) -> None:
    out = correct_transcript(make(["THE GOVERNMNET GOVERNMNET"]), lexicon, CONFIG)
    texts = [w.final_text for w in out.words]
    assert texts[1] == texts[2]
    again = correct_transcript(make([" ".join(texts)]), lexicon, CONFIG)
    assert [w.final_text for w in again.words] == texts


def test_kept_low_confidence_unknown_word_is_flagged(lexicon: Lexicon) -> None:
    out = correct_transcript(make(["THE MINISTER ZQXWVK SAID"], conf=0.3), lexicon, CONFIG)
    word = next(w for w in out.words if w.ocr_text == "ZQXWVK")
    assert word.action is not Action.KEPT  # flagged, or changed


def test_long_words_found_by_longer_start_or_end_keys(lexicon: Lexicon) -> None:
    from pipeline.correction.candidates import candidate_index

    index = candidate_index(lexicon)
    assert "CONSULTATIONS" in index.near("XQNSULTATIONS", CONFIG.max_block)  # burst at start
    assert "CONSULTATIONS" in index.near("CONSULTATIQXZ", CONFIG.max_block)  # burst at end
    assert "CONSULTATIONS" in index.near("CONSULTATS", CONFIG.max_block)  # drop at the end


def test_symbols_inside_capitals_word_are_unknown_letters(lexicon: Lexicon) -> None:
    from pipeline.correction.candidates import is_noisy, noise_variants

    assert is_noisy("GOV#RNMENT") and is_noisy("WI!.L") and is_noisy("#.CCEPTABLE")
    for kept in ("U.S", "E.G", "S/S", "GOVERNMENT", "C0NSULTATIONS", "AB#", "Gov#rnment"):
        assert not is_noisy(kept)
    texts = {c.text: c.channel for c in noise_variants("#.CCEPTABLE", lexicon)}
    assert "ACCEPTABLE" in texts and "UNACCEPTABLE" in texts
    assert texts["ACCEPTABLE"] > texts["UNACCEPTABLE"]  # fewer letters than symbols: cheaper
    out = correct_transcript(make(["WE WILL CON:AIN THE PR@BLEM AS IT STANDS"]), lexicon, CONFIG)
    assert out.text().strip() == "WE WILL CONTAIN THE PROBLEM AS IT STANDS"
    assert {w.source for w in out.words if w.final_text != w.ocr_text} == {Source.CONFUSION}


def test_symbols_left_alone_in_mixed_case_text(lexicon: Lexicon) -> None:
    line = "The Gov#rnment said the C#NTRACT was signed on time, as the report said."
    out = correct_transcript(make([line]), lexicon, CONFIG)
    assert out.text().strip() == line


def test_boosted_trees_learn_an_interaction() -> None:
    from pipeline.correction.calibrate import fit_boosted
    from pipeline.lexicon import Calibration

    # Right only when both features are high: no single linear weight separates this.
    rows = [(1.0, a, b) for a in (0.0, 1.0) for b in (0.0, 1.0) for _ in range(50)]
    labels = [a > 0.5 and b > 0.5 for _, a, b in rows]
    base, trees = fit_boosted(rows, labels, trees=60, depth=2, min_leaf=10)
    cal = Calibration(base=base, trees=trees)
    assert cal.posterior((1.0, 1.0, 1.0)) > 0.9
    assert max(cal.posterior((1.0, a, b)) for a, b in ((0.0, 0.0), (0.0, 1.0), (1.0, 0.0))) < 0.1


def test_token_channels_match_block_edit_and_channel() -> None:
    import random

    from pipeline.correction.channel import block_edit, channel_logp, token_channels

    rng = random.Random(3)
    words = ["GOVERNMENT", "THAT", "NUMBER OF", "EMBASSY", "MINISTER", "SAID", "THE", "OF"]
    for _ in range(500):
        target = rng.choice(words)
        garbled = "".join(
            c if rng.random() > 0.3 else rng.choice("ABEOXZ ") for c in rng.choice(words)
        ).replace(" ", "")
        edit = block_edit(garbled, target, 4)
        want = None if edit is None else channel_logp(edit, len(garbled))
        assert list(token_channels(garbled, [target], 4)) == (
            [] if want is None else [(target, *want)]
        )


def test_token_channels_match_block_edit_and_channel_for_many_targets() -> None:
    import random

    from pipeline.correction.channel import block_edit, channel_logp, token_channels

    rng = random.Random(5)
    words = ["GOVERNMENT", "THAT", "NUMBER OF", "EMBASSY", "RN", "M", "C0NSUL", "OF", "AB"]
    for _ in range(300):
        garbled = "".join(
            c if rng.random() > 0.3 else rng.choice("ABEOXZ01") for c in rng.choice(words)
        ).replace(" ", "")
        targets = rng.sample(words, 5)
        want = [
            (t, *channel_logp(edit, len(garbled)))
            for t in targets
            if (edit := block_edit(garbled, t, 4)) is not None
        ]
        assert list(token_channels(garbled, targets, 4)) == want


def test_pairs_across_space_finds_seen_pairs(lexicon: Lexicon) -> None:
    """Seen pairs are found whether many heads or many tails fit the burst."""
    from pipeline.correction.candidates import candidate_index, pairs_across_space

    index = candidate_index(lexicon)
    before, after = index.previous_table(lexicon), index.next_table(lexicon)
    assert sum(map(len, before.values())) == sum(map(len, after.values()))
    assert "OF" in before["THE"] and "THE" in after["OF"]
    for token, pair in (
        ("OFXHE", "OF THE"),
        ("INXHE", "IN THE"),
        ("ONQTHE", "ON THE"),
        ("SAIDXTHAT", "SAID THAT"),
        ("NUMBERMTR", "NUMBER OF"),
    ):
        found = pairs_across_space(token, index, 4, lexicon)
        assert pair in found
        for head, tail in (p.split(" ") for p in found):
            assert len(head) + len(tail) >= len(token) - 4


def test_generate_with_limit_keeps_the_best_candidates(lexicon: Lexicon) -> None:
    from pipeline.correction.candidates import generate

    for token in ("THXB", "ERIERAL", "NUMBERMTR", "COUNTRQTGZANCES", "WEUG"):
        every = generate(token, lexicon, CONFIG.max_block)
        assert generate(token, lexicon, CONFIG.max_block, 5) == every[:5]


def test_rare_dictionary_word_is_weighed_against_common_words(
    lexicon: Lexicon, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline import correct
    from pipeline.correction.candidates import generate

    monkeypatch.setattr(correct, "VALID_WORD_APPLY", 1.0)

    assert lexicon.is_rare("INST") and not lexicon.is_rare("INSIST")
    targets = {c.text for c in generate("INST", lexicon, CONFIG.max_block)}
    assert "INSIST" in targets and not any(lexicon.is_rare(t) for t in targets)
    out = correct_transcript(
        make(["THE AMBASSADOR WILL INST THAT THE TALKS CONTINUE"]), lexicon, CONFIG
    )
    word = next(w for w in out.words if w.ocr_text == "INST")
    # Evidence too weak to replace a dictionary word: kept, flagged with the reading.
    assert word.final_text == "INST" and word.action is Action.FLAGGED
    assert word.alternatives[0] == "INSIST"


def test_logistic_fit_with_offset_adjusts_a_fitted_model() -> None:
    from pipeline.correction.calibrate import fit_logistic

    rows = [(1.0,)] * 40
    labels = [True] * 20 + [False] * 20
    # The fitted model already says 50 %: nothing to adjust; it says 88 %: pull it down.
    assert abs(fit_logistic(rows, labels, offset=[0.0] * 40)[0]) < 1e-6
    assert fit_logistic(rows, labels, offset=[2.0] * 40)[0] < -1.9


def test_untouched_tokens_of_mixed_case_text_stay_candidates_in_capitals_text(
    lexicon: Lexicon,
) -> None:
    """A noisy token left alone in mixed-case text is still read in an all-caps cable."""
    for key in [k for k in lexicon.cache if k.startswith("untouched:")]:
        del lexicon.cache[key]  # the untouched-token cache lives on the lexicon
    odd = "the minister said GOV#RNMENT would go"
    caps = ["THE EMBASSY REPORTED THAT THE MINISTER SAID THE TALKS WILL CONTINUE NEXT WEEK"] * 3
    correct_transcript(make([odd]), lexicon, CONFIG)
    out = correct_transcript(make([*caps, odd]), lexicon, CONFIG)
    assert [w.final_text for w in out.words if w.ocr_text == "GOV#RNMENT"] == ["GOVERNMENT"]
