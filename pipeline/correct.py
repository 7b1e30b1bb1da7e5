"""Stage 4: correct body and signature words against the cable vocabulary.

Each unknown word, and each dictionary word barely seen in cable text (a garble may form
one: ``SWEDEN`` -> ``SWED``), gets candidates (``pipeline.correction.candidates``) ranked by a
noisy channel (``channel``) times a context model (``langmodel``: word pairs on both sides,
cable triples), with the OCR confidence as evidence. The best change's features
(``features``: score margins over "keep" and the runner-up, mechanism, spelling of the token)
go through boosted trees and a logistic model fitted on the calibration split
(``calibrate``), giving the posterior that decides the action: applied, applied and flagged,
or kept (a dictionary word is replaced only from ``VALID_WORD_APPLY``). A garble repeated in
one cable gets one reading.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from dataclasses import dataclass

from pipeline.config import CorrectionConfig
from pipeline.correction.calibrate import softmax
from pipeline.correction.candidates import generate, is_noisy
from pipeline.correction.features import ChangeEvidence, change_features
from pipeline.correction.langmodel import DocumentCache, sequence_logp, unknown_logp
from pipeline.correction.punctuation import speck_period
from pipeline.lexicon import Lexicon
from pipeline.records import Action, ProcessingStep, Source, Transcript, TranscriptWord, Zone

CORRECTED_ZONES = frozenset({Zone.BODY, Zone.SIGNATURE})
_AFFIX = re.compile(r"^([\"'(\[{<\-*_`]*)(.*?)([\"')\]}>.,;:!?\-*_`]*)$", re.DOTALL)
_POSSESSIVE = re.compile(r"^([A-Za-z]+)('[Ss])$")
_SEVERITY = {Action.KEPT: 0, Action.CORRECTED: 1, Action.FLAGGED: 2}
MERGE_LOGP = math.log(0.02)
"""Channel log probability of a spurious space inside a word."""
SPACED_LOGP = math.log(0.5)
"""Channel log probability of a letter-spaced word (``S E C R E T``)."""
VALID_WORD_APPLY = 0.8
"""Posterior from which a rarely seen dictionary word is replaced (below: kept, flagged)."""


@dataclass(frozen=True, slots=True)
class Decision:
    """Outcome for one word part (upper case)."""

    text: str
    action: Action
    source: Source
    posterior: float | None
    alternatives: tuple[str, ...] = ()


@dataclass(slots=True)
class _Context:
    lexicon: Lexicon
    config: CorrectionConfig
    all_caps: bool
    caps_share: float
    memo: dict[tuple[object, ...], Decision]
    repeats: dict[str, int]
    """Occurrences of each upper-case token core in the transcript."""
    document: DocumentCache | None = None
    """Known words of the transcript, for the cache language model."""
    case_here: bool = False
    """Normalize case of the current word (all-caps cable and mostly-caps paragraph)."""


@functools.lru_cache(maxsize=1 << 16)
def _split_affixes(token: str) -> tuple[str, str, str]:
    match = _AFFIX.match(token)
    if match is None:  # pragma: no cover - the pattern matches every string
        return "", token, ""
    return match.group(1), match.group(2), match.group(3)


def _is_all_caps(texts: list[str]) -> tuple[bool, float]:
    text = "".join(texts)
    letters = "".join(filter(str.isalpha, text))
    lower = sum(map(str.islower, letters))
    # Digits count as capitals: a digit read for a letter (C0NSULTATIONS) is one.
    total = len(letters) + sum(map(str.isdigit, text))
    upper = total - lower
    share = upper / total if total else 1.0
    return total > 0 and share >= 0.85, share


def _transfer_case(source: str, text: str) -> str:
    if source.isupper() or not source:
        return text
    if source.islower():
        return text.lower()
    if source[0].isupper() and source[1:].islower():
        return text[:1] + text[1:].lower()
    return text


def band(posterior: float, config: CorrectionConfig, all_caps: bool) -> Action | None:
    """Action for a proposed change with this calibrated posterior; None keeps the OCR text.

    All-caps cables: ``apply_above`` and up corrected, ``flag_above`` and up applied but
    flagged. Other text: only ``max(apply_above, mixed_case_apply_above)`` and up, no flag band.
    """
    if all_caps:
        if posterior >= config.apply_above:
            return Action.CORRECTED
        return Action.FLAGGED if posterior >= config.flag_above else None
    if posterior >= max(config.apply_above, config.mixed_case_apply_above):
        return Action.CORRECTED
    return None


def _p_error(confidence: float | None, known: bool, unknown_prior: float) -> float:
    if confidence is None:
        return 0.02 if known else unknown_prior
    p = min(max(1.0 - confidence, 0.05), 0.95)
    return p * 0.1 if known else p


Outer = tuple[str | None, str | None]
"""The words before the left neighbour and after the right one (None when unknown)."""


def _decide(
    part: str,
    left: str | None,
    right: str | None,
    conf: float | None,
    ctx: _Context,
    outer: Outer = (None, None),
) -> Decision:
    """Decide one alphabetic (or digit-confused) word part."""
    lexicon, config = ctx.lexicon, ctx.config
    upper = part.upper()
    case_fix = ctx.case_here and part != upper
    known = lexicon.is_valid(upper) or (upper.isalpha() and lexicon.is_derived(upper))
    if lexicon.is_fixed(upper):
        known = True
    low_conf = conf is not None and conf < config.low_confidence
    if known and not low_conf and not lexicon.is_rare(upper):
        if case_fix:
            return Decision(upper, Action.CORRECTED, Source.CASE, round(ctx.caps_share, 4))
        return Decision(part, Action.KEPT, Source.NONE, None)
    if lexicon.is_fixed(upper) or len(upper) < config.min_length:
        text = upper if case_fix else part
        if case_fix:
            return Decision(text, Action.CORRECTED, Source.CASE, round(ctx.caps_share, 4))
        return Decision(text, Action.KEPT, Source.NONE, None)
    bucket = -1 if conf is None else int(conf * 20)
    key = (part, left, right, outer, bucket, ctx.case_here, min(ctx.repeats.get(upper, 1), 5))
    cached = ctx.memo.get(key)
    if cached is not None:
        return cached
    decision = _score(part, upper, left, right, conf, known, ctx, outer)
    ctx.memo[key] = decision
    return decision


def _candidates(upper: str, ctx: _Context) -> list[tuple[str, float, Source]]:
    cache = ctx.lexicon.cache.setdefault("generated", {})
    assert isinstance(cache, dict)
    block, limit, distance = (
        ctx.config.max_block,
        ctx.config.max_candidates,
        ctx.config.max_edit_distance,
    )
    key = (upper, block, limit, distance)
    found = cache.get(key)
    if found is None:
        found = [
            (c.text, c.channel, c.source)
            for c in generate(upper, ctx.lexicon, block, limit, distance)
        ]
        if len(cache) > 200_000:
            cache.clear()
        cache[key] = found
    return list(found)


def _score(
    part: str,
    upper: str,
    left: str | None,
    right: str | None,
    conf: float | None,
    known: bool,
    ctx: _Context,
    outer: Outer,
) -> Decision:
    lexicon, config = ctx.lexicon, ctx.config
    p_err = _p_error(conf, known, config.unknown_error_prob)
    low_conf = conf is not None and conf < config.low_confidence
    if known:
        keep_lm = sequence_logp(lexicon, [upper], left, right, outer=outer)
    else:
        keep_lm = unknown_logp(lexicon, upper, left, right, config.novel_prob, outer)
    # Garbles are random; a word repeated in the same cable is a name or term of it.
    keep_lm += math.log(1 + config.repeat_weight * (min(ctx.repeats.get(upper, 1), 5) - 1))
    texts = [upper]
    scores = [math.log(1 - p_err) + keep_lm]
    sources = [Source.NONE]
    channels = [0.0]
    contexts = [keep_lm]
    for text, channel, source in _candidates(upper, ctx):
        context = sequence_logp(lexicon, text.split(" "), left, right, ctx.document, outer)
        texts.append(text)
        scores.append(math.log(p_err) + channel + context)
        sources.append(source)
        channels.append(channel)
        contexts.append(context)
    probs = softmax(scores)
    order = sorted(range(len(texts)), key=lambda k: -probs[k])
    calibrate = lexicon.calibration
    keep_post = calibrate(probs[0])
    case_fix = ctx.case_here and part != upper

    def shown(text: str) -> str:
        return _transfer_case(part, text)

    changes = [k for k in order if k != 0]
    held = False
    post = 0.0
    if changes:
        best = changes[0]
        alternatives = tuple(shown(texts[k]) for k in order if k != best)[:5]
        if calibrate.weights or calibrate.trees:
            runner = changes[1] if len(changes) > 1 else None
            words = texts[best].split(" ")
            evidence = ChangeEvidence(
                token=upper,
                candidate=texts[best],
                source=sources[best],
                score=scores[best],
                keep_score=scores[0],
                next_score=None if runner is None else scores[runner],
                channel=channels[best],
                context=contexts[best],
                token_spelling=lexicon.spelling_logp(upper),
                token_seen=lexicon.seen(upper),
                token_valid=known,
                candidate_spelling=lexicon.spelling_logp(texts[best].replace(" ", "")),
                repeats=ctx.repeats.get(upper, 1),
                candidates=len(changes),
                unigram=sum(lexicon.unigram_logp(w) for w in words),
                has_context=right is not None or (left is not None and lexicon.is_valid(left)),
                confidence=conf,
                probability=probs[best],
                next_context=None if runner is None else contexts[runner],
                next_channel=None if runner is None else channels[runner],
                pair_seen=(left is not None and lexicon.pair_seen(left, words[0]))
                + (right is not None and lexicon.pair_seen(words[-1], right)),
                in_document=ctx.document is not None and words[0] in ctx.document.counts,
                rivals=sum(1 for k in changes[1:] if scores[k] > scores[best] - 2.0),
            )
            features = change_features(evidence)
            log = lexicon.cache.get("feature_log")
            if isinstance(log, list):
                log.append((upper, texts[best], features))
            post = calibrate.posterior(features)
        elif order[0] == best:
            post = calibrate(probs[best])
        else:
            post = 0.0
        action = band(post, config, ctx.all_caps)
        # A dictionary word is replaced only on strong evidence; else it is kept, flagged.
        held = known and not low_conf and action is not None and post < VALID_WORD_APPLY
        if action is not None and not held:
            return Decision(shown(texts[best]), action, sources[best], post, alternatives)
    kept = upper if case_fix else part
    others = tuple(shown(texts[k]) for k in order if k != 0)[:5]
    if held:
        source = Source.CASE if case_fix else Source.NONE
        return Decision(kept, Action.FLAGGED, source, post, others)
    doubtful = (keep_post < 0.5 and (low_conf or not known)) or (low_conf and not known)
    if doubtful and len(texts) > 1:
        return Decision(
            kept, Action.FLAGGED, Source.CASE if case_fix else Source.NONE, keep_post, others
        )
    if case_fix:
        return Decision(kept, Action.CORRECTED, Source.CASE, keep_post, others)
    return Decision(kept, Action.KEPT, Source.NONE, keep_post, others)


@functools.lru_cache(maxsize=1 << 16)
def _core_key(text: str) -> str | None:
    """Upper-case last alphabetic word of a token (a neighbour for the language model)."""
    _, core, _ = _split_affixes(text)
    last = core.split(" ")[-1].split("-")[-1]
    match = _POSSESSIVE.match(last)
    if match:
        last = match.group(1)
    return last.upper() if last.isalpha() else None


@functools.lru_cache(maxsize=1 << 16)
def _first_key(text: str) -> str | None:
    _, core, _ = _split_affixes(text)
    first = core.split(" ")[0].split("-")[0]
    return first.upper() if first.isalpha() else None


def _word_after(
    words: list[TranscriptWord], order: list[int], at: int, paragraph: int | None, lexicon: Lexicon
) -> str | None:
    """First word of ``words[order[at]]`` as a right neighbour, else None.

    Only a dictionary word in the same paragraph counts: a garble would mislead the context.
    """
    if at >= len(order) or words[order[at]].paragraph != paragraph:
        return None
    key = _first_key(words[order[at]].final_text)
    return key if key is not None and lexicon.is_valid(key) else None


def _correct_token(
    token: str,
    left: str | None,
    right: str | None,
    conf: float | None,
    ctx: _Context,
    outer: Outer = (None, None),
) -> Decision | None:
    """Decide a whole token (punctuation, hyphenated parts, possessive); None = untouched."""
    lexicon = ctx.lexicon
    if token in lexicon.protected or token.upper() in lexicon.protected:
        return None
    prefix, core, suffix = _split_affixes(token)
    if ctx.all_caps and is_noisy(core) and not suffix.startswith("-"):
        # Symbols read for letters inside a capitals word (GOV#RNMENT, WI!.L).
        decision = _decide(core, left, right, conf, ctx, outer)
        if decision.action is Action.KEPT and decision.posterior is None:
            return None
        alternatives = tuple(prefix + alt + suffix for alt in decision.alternatives)
        return dataclasses.replace(
            decision, text=prefix + decision.text + suffix, alternatives=alternatives
        )
    if not core or "/" in core or "." in core or suffix.startswith("-"):
        return None  # empty, office symbols, abbreviations, line-end hyphen (structure joins)
    if any(c.isdigit() for c in core):
        letters = sum(c.isalpha() for c in core)
        if "-" in core or " " in core or len(core) < 4 or letters < 0.75 * len(core):
            return None
    possessive = ""
    match = _POSSESSIVE.match(core)
    if match:
        core, possessive = match.group(1), match.group(2)
    pieces = core.split(" ")
    results: list[Decision] = []
    out_pieces = []
    for piece in pieces:
        parts = piece.split("-")
        out_parts = []
        for n, part in enumerate(parts):
            if not part or not (part.isalpha() or part.isalnum()):
                if part and not part.isalnum():
                    return None
                out_parts.append(part)
                continue
            lft = left if n == 0 else parts[n - 1].upper()
            rgt = right if n == len(parts) - 1 else parts[n + 1].upper()
            around = (outer[0] if n == 0 else None, outer[1] if n == len(parts) - 1 else None)
            decision = _decide(
                part,
                lft if lft and lft.isalpha() else None,
                rgt if rgt and rgt.isalpha() else None,
                conf,
                ctx,
                around,
            )
            results.append(decision)
            out_parts.append(decision.text)
        out_pieces.append("-".join(out_parts))
    changed = [d for d in results if d.action is not Action.KEPT or d.posterior is not None]
    if not changed:
        return None
    worst = max(changed, key=lambda d: _SEVERITY[d.action])
    text = prefix + " ".join(out_pieces) + possessive + suffix
    if possessive and ctx.all_caps:
        text = prefix + " ".join(out_pieces) + possessive.upper() + suffix
    posts = [d.posterior for d in changed if d.posterior is not None]
    source = next((d.source for d in changed if d.source is not Source.NONE), Source.NONE)
    alternatives = tuple(prefix + alt + possessive + suffix for alt in worst.alternatives)
    return Decision(text, worst.action, source, min(posts) if posts else None, alternatives)


def _calibrated_pair(keep: float, change: float, lexicon: Lexicon) -> float:
    return lexicon.calibration(softmax([change, keep])[0])


def _merge_runs(words: list[TranscriptWord], order: list[int], ctx: _Context) -> set[int]:
    """Letter-spaced runs and split words: merge into the first word; returns consumed ids."""
    lexicon, config = ctx.lexicon, ctx.config
    consumed: set[int] = set()
    k = 0
    while k < len(order):
        i = order[k]
        w = words[i]
        run = [i]
        while k + len(run) < len(order):
            j = order[k + len(run)]
            if words[j].paragraph != w.paragraph or len(words[j].final_text) != 1:
                break
            run.append(j)
        if len(w.final_text) == 1 and len(run) >= 3:
            letters = "".join(words[j].final_text for j in run)
            if letters.isalpha() and lexicon.is_valid(letters.upper()):
                # Without the word before: it may be a garble this pass corrects, and the
                # same text must get the same decision when corrected again.
                merged = letters.upper() if ctx.all_caps else letters
                keep = sequence_logp(lexicon, [c.upper() for c in letters], None, None)
                change = SPACED_LOGP + sequence_logp(lexicon, [letters.upper()], None, None)
                post = _calibrated_pair(keep, change, lexicon)
                action = band(post, config, ctx.all_caps)
                if action is not None:
                    _apply_merge(words, run, merged, action, post)
                    consumed.update(run)
                    k += len(run)
                    continue
        if k + 1 < len(order):
            j = order[k + 1]
            if _try_pair_merge(words, order, k, i, j, ctx):
                consumed.update((i, j))
                k += 2
                continue
        k += 1
    return consumed


def _try_pair_merge(
    words: list[TranscriptWord], order: list[int], k: int, i: int, j: int, ctx: _Context
) -> bool:
    lexicon, config = ctx.lexicon, ctx.config
    a, b = words[i].final_text, words[j].final_text
    if words[j].paragraph != words[i].paragraph or not (a.isalpha() and b.isalpha()):
        return False
    ua, ub = a.upper(), b.upper()
    if (
        lexicon.is_fixed(ua)
        or lexicon.is_fixed(ub)
        or a in lexicon.protected
        or b in lexicon.protected
    ):
        return False
    va, vb = lexicon.is_valid(ua), lexicon.is_valid(ub)
    if va and vb:
        return False
    merged = ua + ub
    if not lexicon.is_valid(merged) or len(merged) < config.min_length:
        return False
    left = _core_key(words[order[k - 1]].final_text) if k else None
    right = _first_key(words[order[k + 2]].final_text) if k + 2 < len(order) else None
    keep = 0.0
    previous = left
    for part, valid in ((ua, va), (ub, vb)):
        if valid:
            keep += sequence_logp(lexicon, [part], previous, None)
        else:
            keep += unknown_logp(lexicon, part, previous, None, config.novel_prob)
        previous = part
    keep += lexicon.unigram_logp(right) if right else 0.0
    change = MERGE_LOGP + sequence_logp(lexicon, [merged], left, right)
    post = _calibrated_pair(keep, change, lexicon)
    if band(post, config, ctx.all_caps) is not Action.CORRECTED:
        return False
    text = merged if ctx.all_caps else _transfer_case(a, merged)
    _apply_merge(words, [i, j], text, Action.CORRECTED, post)
    return True


def _apply_merge(
    words: list[TranscriptWord], run: list[int], text: str, action: Action, post: float
) -> None:
    first = words[run[0]]
    words[run[0]] = dataclasses.replace(
        first,
        final_text=text,
        action=action,
        source=Source.SPLIT_MERGE,
        posterior=round(post, 4),
        alternatives=(" ".join(words[j].final_text for j in run),),
    )
    for j in run[1:]:
        words[j] = dataclasses.replace(
            words[j],
            final_text="",
            action=Action.CORRECTED,
            source=Source.SPLIT_MERGE,
            posterior=round(post, 4),
        )


def _decided(word: TranscriptWord, decision: Decision) -> TranscriptWord:
    return dataclasses.replace(
        word,
        final_text=decision.text,
        action=decision.action,
        source=decision.source,
        posterior=None if decision.posterior is None else round(decision.posterior, 4),
        alternatives=decision.alternatives,
    )


def _make_consistent(
    words: list[TranscriptWord], occurrences: dict[str, list[tuple[int, Decision]]]
) -> int:
    """One reading per token and cable: a garble repeated in a cable is one error repeated.

    When an occurrence of a token was changed (not only its case) and another occurrence of
    the same token was kept, the change with the highest posterior is applied to all of them
    (context differs between occurrences; the cable's author meant one word). Returns the
    number of words changed here.
    """
    count = 0
    for token, decisions in occurrences.items():
        if len(decisions) < 2:
            continue
        changes = [
            d
            for _, d in decisions
            if d.action is not Action.KEPT
            and d.source not in (Source.NONE, Source.CASE)
            and d.text.upper() != token.upper()
        ]
        if not changes:
            continue
        best = max(changes, key=lambda d: d.posterior or 0.0)
        for i, decision in decisions:
            if decision.text.upper() == token.upper():
                words[i] = _decided(words[i], best)
                count += 1
    return count


def _drop_speck_periods(words: list[TranscriptWord], order: list[int], ctx: _Context) -> int:
    """Remove periods read from specks between two words of a sentence (``THE. SOVIETS``).

    ``pipeline.correction.punctuation`` gives the posterior. The rule knows word statistics,
    not the image, so a removal is at most applied and flagged for review, never applied
    silently. The second half of a word joined across a line end (``IDE- AS.``) and
    protected tokens are left alone. Returns the number of words changed.
    """
    lexicon = ctx.lexicon
    texts = [i for i in order if words[i].final_text]
    count = 0
    for i, j in zip(texts, texts[1:], strict=False):
        word = words[i]
        if (
            word.action is not Action.KEPT
            or words[j].paragraph != word.paragraph
            or word.glue == ""
            or word.final_text in lexicon.protected
            or word.final_text.rstrip(".").upper() in lexicon.protected
        ):
            continue
        judged = speck_period(lexicon, word.final_text, words[j].final_text)
        if judged is None:
            continue
        text, post = judged
        if band(post, ctx.config, ctx.all_caps) is None:
            continue
        words[i] = dataclasses.replace(
            word,
            final_text=text,
            action=Action.FLAGGED,
            source=Source.CONFUSION,
            posterior=round(post, 4),
            alternatives=(word.final_text,),
        )
        count += 1
    return count


def correct_transcript(
    transcript: Transcript, lexicon: Lexicon, config: CorrectionConfig
) -> Transcript:
    """Correct body and signature words; normalize header case in all-caps cables.

    Args:
        transcript: the structured transcript.
        lexicon: loaded dictionaries (``pipeline.lexicon.load_lexicon``).
        config: thresholds and limits.

    Returns:
        A new transcript with the same words (count and order); changed words carry action,
        source, posterior and alternatives.
    """
    if not config.enabled:
        return transcript
    words = list(transcript.words)
    order = [
        i
        for i, w in enumerate(words)
        if w.zone in CORRECTED_ZONES
        and w.in_transcript
        and w.action is Action.KEPT
        and w.final_text
    ]
    all_caps, share = _is_all_caps([words[i].final_text for i in order])
    repeats: dict[str, int] = {}
    for i in order:
        core = _split_affixes(words[i].final_text)[1].upper()
        repeats[core] = repeats.get(core, 0) + 1
    known = {w: n for w, n in repeats.items() if lexicon.is_valid(w)}
    document = DocumentCache(known, sum(known.values()), config.document_weight)
    ctx = _Context(lexicon, config, all_caps, share, {}, repeats, document)
    if all_caps:
        for i, w in enumerate(words):
            if (
                w.zone is Zone.HEADER
                and w.action is Action.KEPT
                and w.final_text != w.final_text.upper()
            ):
                if w.final_text in lexicon.protected:
                    continue
                words[i] = dataclasses.replace(
                    w,
                    final_text=w.final_text.upper(),
                    action=Action.CORRECTED,
                    source=Source.CASE,
                    posterior=round(share, 4),
                )
    paragraph_letters: dict[int | None, list[str]] = {}
    for i in order:
        paragraph_letters.setdefault(words[i].paragraph, []).append(words[i].final_text)
    caps_paragraphs = {p for p, texts in paragraph_letters.items() if _is_all_caps(texts)[1] >= 0.5}
    consumed = _merge_runs(words, order, ctx)
    remaining = [i for i in order if i not in consumed]
    changed = 0
    occurrences: dict[str, list[tuple[int, Decision]]] = {}
    untouched = lexicon.cache.setdefault(f"untouched:{hash(config)}", set())
    assert isinstance(untouched, set)
    for k, i in enumerate(remaining):
        w = words[i]
        left = right = left2 = right2 = None
        if k > 0 and words[remaining[k - 1]].paragraph == w.paragraph:
            left = _core_key(words[remaining[k - 1]].final_text)
            if left is not None and k > 1 and words[remaining[k - 2]].paragraph == w.paragraph:
                left2 = _core_key(words[remaining[k - 2]].final_text)
        right = _word_after(words, remaining, k + 1, w.paragraph, lexicon)
        if right is not None:
            right2 = _word_after(words, remaining, k + 2, w.paragraph, lexicon)
        ctx.case_here = all_caps and w.paragraph in caps_paragraphs
        conf = w.ocr_confidence
        # Shared by every transcript corrected with this lexicon and config: the key holds
        # all that decides whether a token is left untouched (noisy tokens: all-caps text).
        low = conf is not None and conf < config.low_confidence
        quick = (w.final_text, all_caps, ctx.case_here, low)
        if quick in untouched:
            continue
        decision = _correct_token(w.final_text, left, right, conf, ctx, (left2, right2))
        if decision is None:
            if len(untouched) < 500_000:
                untouched.add(quick)
            continue
        if decision.action is not Action.KEPT:
            changed += 1
        occurrences.setdefault(w.final_text, []).append((i, decision))
        words[i] = _decided(w, decision)
    changed += _make_consistent(words, occurrences)
    if all_caps:
        changed += _drop_speck_periods(words, order, ctx)
    step = ProcessingStep(
        "correct",
        f"cable-vocabulary correction ({'all-caps' if all_caps else 'mixed-case, conservative'})",
        {
            "apply_above": config.apply_above,
            "flag_above": config.flag_above,
            "max_block": config.max_block,
            "all_caps": all_caps,
            "words_changed": changed + len(consumed),
        },
    )
    return dataclasses.replace(transcript, words=tuple(words), steps=(*transcript.steps, step))
