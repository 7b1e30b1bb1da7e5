"""Header consensus: vote every repeated header field across the section copies.

Each copy's parsed lines give readings of the fields; a reading weighs its parse
confidence times the mean OCR confidence of its line. The heaviest value wins, so a
misread in one copy is outvoted. The kept copy's words are then rewritten where they
disagree with the consensus.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from pipeline.records import HEADER_FIELDS, Action, FieldValue, Source
from pipeline.structure.classify import HeaderCopy, Line

VOTED_FIELDS = tuple(f for f in HEADER_FIELDS if f not in ("post", "number")) + ("zff",)
"""Fields voted across header copies (post and number are derived from ``cable_id``)."""


@dataclass(frozen=True, slots=True)
class Reading:
    """One copy's reading of one field."""

    value: Any
    weight: float
    confidence: float
    line: Line
    copy: int


@dataclass(frozen=True, slots=True)
class WordFix:
    """A header word rewritten to the consensus reading."""

    final_text: str
    action: Action
    source: Source
    posterior: float
    alternatives: tuple[str, ...]


@dataclass
class Consensus:
    """Voted header fields and the word rewrites of the kept copy."""

    fields: dict[str, FieldValue] = field(default_factory=dict)
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    fixes: dict[tuple[int, int], WordFix] = field(default_factory=dict)
    """Rewrites keyed by (id of the line, word position)."""
    released: list[Line] = field(default_factory=list)
    """Wrapped-subject lines that turned out to be body text."""


def _line_weight(line: Line) -> float:
    confidences = [w.confidence for w in line.words if w.confidence is not None]
    return sum(confidences) / len(confidences) if confidences else 1.0


def _key(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "|".join(str(v) for v in value)
    return str(value)


def _continued(copy: HeaderCopy, start: int, kind: str) -> list[Line]:
    lines = []
    for line in copy.lines[start + 1 :]:
        if line.kind != kind:
            break
        lines.append(line)
    return lines


def _text_value(first: str, lines: Sequence[Line]) -> str:
    return " ".join([first, *(x.text.upper() for x in lines)]).strip()


def collect(copies: Sequence[HeaderCopy], page_lines: Sequence[Line]) -> dict[str, list[Reading]]:
    """All readings of the voted fields, from header copies and PAGE lines."""
    readings: dict[str, list[Reading]] = {name: [] for name in VOTED_FIELDS}
    for number, copy in enumerate(copies):
        for index, line in enumerate(copy.lines):
            parsed = line.parsed
            if parsed is None:
                continue
            weight = parsed.confidence * _line_weight(line)
            values = dict(parsed.fields)
            if parsed.kind in ("subject", "ref"):
                cont = _continued(copy, index, f"{parsed.kind}_cont")
                values[parsed.kind] = _text_value(values[parsed.kind], cont)
            if parsed.kind == "caption" and "caption" in values:
                previous = [r for r in readings["caption"] if r.copy == number]
                if previous:
                    continue
            for name in VOTED_FIELDS:
                if name in values and values[name] not in (None, "", []):
                    value = tuple(values[name]) if isinstance(values[name], list) else values[name]
                    readings[name].append(Reading(value, weight, parsed.confidence, line, number))
    for line in page_lines:
        parsed = line.parsed
        if parsed is None or parsed.kind != "page":
            continue
        weight = parsed.confidence * _line_weight(line)
        for name in ("cable_id", "sections"):
            if name in parsed.fields:
                value = parsed.fields[name]
                readings[name].append(Reading(value, weight, parsed.confidence, line, -1))
    return readings


def _same_number(a: str, b: str) -> bool:
    post_a, _, num_a = a.rpartition(" ")
    post_b, _, num_b = b.rpartition(" ")
    return post_a[:6] == post_b[:6] and num_a.lstrip("0") == num_b.lstrip("0")


def vote(copies: Sequence[HeaderCopy], page_lines: Sequence[Line]) -> Consensus:
    """Vote the fields, trim over-long wrapped subjects and compute the kept copy's fixes."""
    result = _vote_fields(copies, page_lines)
    _trim_wraps(copies, result)
    if result.released:
        released = result.released
        result = _vote_fields(copies, page_lines)
        result.released = released
    if copies:
        _fix_kept(copies[0], result)
    return result


def _vote_fields(copies: Sequence[HeaderCopy], page_lines: Sequence[Line]) -> Consensus:
    result = Consensus()
    readings = collect(copies, page_lines)
    for name, items in readings.items():
        if not items:
            continue
        if name == "cable_id":
            items = _merge_cable_ids(items)
        weights: dict[str, float] = {}
        counts: dict[str, int] = {}
        first: dict[str, Reading] = {}
        for reading in items:
            key = _key(reading.value)
            weights[key] = weights.get(key, 0.0) + reading.weight
            counts[key] = counts.get(key, 0) + 1
            if key not in first or (first[key].copy != 0 and reading.copy == 0):
                first[key] = reading
        ranked = sorted(weights, key=lambda k: (-weights[k], -counts[k]))
        best = ranked[0]
        total = sum(weights.values()) or 1.0
        share = weights[best] / total
        winner = first[best]
        value = list(winner.value) if isinstance(winner.value, tuple) else winner.value
        result.fields[name] = FieldValue(
            value=value,
            confidence=round(share * max(r.confidence for r in items if _key(r.value) == best), 4),
            page=winner.line.ref,
            line=winner.line.number,
            votes=counts[best],
            alternatives=tuple(k.replace("|", ", ") for k in ranked[1:]),
        )
        if len(ranked) > 1:
            result.disagreements.append(
                {
                    "field": name,
                    "chosen": best.replace("|", ", "),
                    "readings": [
                        {
                            "value": k.replace("|", ", "),
                            "votes": counts[k],
                            "weight": round(weights[k], 4),
                        }
                        for k in ranked
                    ],
                }
            )
    return result


def _merge_cable_ids(items: list[Reading]) -> list[Reading]:
    """Normalise ids that differ only in leading zeros to the most frequent spelling."""
    spelled: dict[str, int] = {}
    for reading in items:
        spelled[reading.value] = spelled.get(reading.value, 0) + 1
    merged = []
    for reading in items:
        same = [v for v in spelled if _same_number(v, reading.value)]
        best = max(same, key=lambda v: (spelled[v], len(v)))
        merged.append(Reading(best, reading.weight, reading.confidence, reading.line, reading.copy))
    return merged


def _trim_wraps(copies: Sequence[HeaderCopy], result: Consensus) -> None:
    """Give back continuation lines that make a copy's subject/ref longer than consensus."""
    for kind in ("subject", "ref"):
        chosen = result.fields.get(kind)
        if chosen is None:
            continue
        target = str(chosen.value)
        for copy in copies:
            for index, line in enumerate(copy.lines):
                if line.kind != kind or line.parsed is None:
                    continue
                cont = _continued(copy, index, f"{kind}_cont")
                if not cont:
                    continue
                base = str(line.parsed.fields[kind])
                scores = [
                    SequenceMatcher(None, _text_value(base, cont[:k]), target).ratio()
                    for k in range(len(cont) + 1)
                ]
                keep = max(range(len(scores)), key=lambda k: (scores[k], -k))
                for extra in cont[keep:]:
                    result.released.append(extra)
                    copy.lines.remove(extra)


def _render(name: str, value: Any) -> list[str]:
    if name == "sections":
        return [f"{int(value):02d}"]
    if name == "tags":
        return ", ".join(value).split()
    return str(value).split()


def _norm(token: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", token.upper())


def _fix_kept(copy: HeaderCopy, result: Consensus) -> None:
    """Rewrite kept-copy words that differ from the consensus reading of their line."""
    index = 0
    while index < len(copy.lines):
        line = copy.lines[index]
        parsed = line.parsed
        index += 1
        if parsed is None or not parsed.parts:
            continue
        group = [line]
        if parsed.kind in ("subject", "ref"):
            group += _continued(copy, index - 1, f"{parsed.kind}_cont")
            index += len(group) - 1
        target: list[str] = []
        posterior = 1.0
        alternatives: list[str] = []
        for name, tokens in parsed.parts:
            chosen = result.fields.get(name) if name else None
            if chosen is not None and name is not None:
                rendered = _render(name, chosen.value)
                if [_norm(t) for t in rendered] != [_norm(t) for t in tokens] or name in (
                    "subject",
                    "ref",
                ):
                    tokens = tuple(rendered)
                posterior = min(posterior, chosen.confidence)
                alternatives.extend(chosen.alternatives)
            elif name is None:
                posterior = min(posterior, parsed.confidence)
            target.extend(tokens)
        words = [(x, i) for x in group for i in range(len(x.words))]
        raw = [x.words[i].text for x, i in words]
        _apply(words, raw, target, posterior, tuple(alternatives), result)


def _apply(
    words: list[tuple[Line, int]],
    raw: list[str],
    target: list[str],
    posterior: float,
    alternatives: tuple[str, ...],
    result: Consensus,
) -> None:
    matcher = SequenceMatcher(None, [_norm(t) for t in raw], [_norm(t) for t in target], False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        new = target[j1:j2]
        old = raw[i1:i2]
        if tag == "insert":
            if i1 == 0:
                continue
            i1, i2 = i1 - 1, i1
            new = [raw[i1], *new]
            old = raw[i1:i2]
        merge = "".join(old).upper() == "".join(new).upper()
        source = Source.STRUCTURE if merge else Source.HEADER_CONSENSUS
        for offset in range(i2 - i1):
            if offset == 0:
                text = " ".join(new)
            elif offset < len(new) and i2 - i1 == len(new):
                text = new[offset]
            else:
                text = ""
            if i2 - i1 == len(new) and offset == 0:
                text = new[0]
            line, position = words[i1 + offset]
            original = raw[i1 + offset]
            if text == original:
                continue
            alts = tuple(dict.fromkeys(a for a in (original, *alternatives) if a and a != text))
            result.fixes[(id(line), position)] = WordFix(
                text, Action.CORRECTED, source, 1.0 if merge else round(posterior, 4), alts
            )
