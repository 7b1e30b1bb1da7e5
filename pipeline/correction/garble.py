"""Synthetic garbles for evaluation and calibration: bursts, drops, OCR substitutions.

Tokens are whitespace-separated words; each injected garble records the original text so a
corrector's output can be scored word by word. About ``rate`` of the upper-case words of 4+
letters are garbled, the mechanism drawn uniformly from ``KINDS``:

* ``burst``: a teletype burst; 1-4 consecutive letters (at most half the word) replaced by as
  many random letters, so the length is kept (``THAT`` -> ``THXB``);
* ``burst_space``: a burst of 2-4 characters over the end of a word, the space and the start of
  the next word (length kept, the two tokens become one: ``NUMBER OF`` -> ``NUMBERMTR``);
* ``drop``: 1-3 consecutive letters lost, at least 4 left (``ATTENTION`` -> ``ANTION``);
* ``ocr``: one OCR confusion (O/0, I/1, S/5, B/8, M/RN, D/CL, W/VV, E/F, C/G, L/1, Z/2);
* ``symbol`` (only when asked for, not in ``KINDS``): one letter other than the last read as
  one or two symbols (``GOV#RNMENT``, ``WI!.L``; at the start of a word only symbols that are
  not leading punctuation: ``#.CCEPTABLE``);
* ``scattered`` (only when asked for): two one-letter OCR confusions at least two letters
  apart, so no single block covers them (``G0VERNMFNT``); a word without two such letters
  gets one confusion (kind ``ocr``), or a burst without any (kind ``burst``).

A word with no confusable letter gets a burst; a drop needs 5+ letters (else a burst). A
garble may form another valid word (``GROUP`` -> ``ROUP``); such real-word errors are
counted as garbles like any other.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CORE = re.compile(r"^([^A-Za-z]*)([A-Za-z]+)([^A-Za-z]*)$")
_OCR_SUBS = (
    ("O", "0"),
    ("I", "1"),
    ("S", "5"),
    ("B", "8"),
    ("M", "RN"),
    ("D", "CL"),
    ("W", "VV"),
    ("E", "F"),
    ("C", "G"),
    ("L", "1"),
    ("Z", "2"),
)

KINDS = ("burst", "burst_space", "drop", "ocr")
_SYMBOLS = "!:#%@&*.;,"
_START_SYMBOLS = "!#%@&"


@dataclass(frozen=True, slots=True)
class Token:
    """A token of garbled text and the text it replaced (equal when untouched)."""

    text: str
    truth: str
    kind: str = ""
    """Garble kind, empty for an untouched token."""


def _burst(word: str, rng: random.Random) -> str:
    width = rng.randint(1, min(4, len(word) // 2))
    start = rng.randint(0, len(word) - width)
    new = "".join(rng.choice(_LETTERS) for _ in range(width))
    return word[:start] + new + word[start + width :]


def _drop(word: str, rng: random.Random) -> str:
    width = rng.randint(1, min(3, len(word) - 4))
    start = rng.randint(0, len(word) - width)
    return word[:start] + word[start + width :]


def _ocr(word: str, rng: random.Random) -> str | None:
    options = [(i, a, b) for i, c in enumerate(word) for a, b in _OCR_SUBS if c == a]
    if not options:
        return None
    i, a, b = rng.choice(options)
    return word[:i] + b + word[i + len(a) :]


def _scattered(word: str, rng: random.Random) -> str | None:
    options = [(i, b) for i, c in enumerate(word) for a, b in _OCR_SUBS if c == a and len(b) == 1]
    pairs = [(x, y) for x in options for y in options if y[0] - x[0] >= 2]
    if not pairs:
        return None
    (i, b), (j, d) = rng.choice(pairs)
    return word[:i] + b + word[i + 1 : j] + d + word[j + 1 :]


def _symbol(word: str, rng: random.Random) -> str:
    start = rng.randint(0, len(word) - 2)
    first = rng.choice(_START_SYMBOLS if start == 0 else _SYMBOLS)
    new = first + ("." if rng.random() < 0.3 else "")
    return word[:start] + new + word[start + 1 :]


def garble_tokens(
    tokens: list[str], rng: random.Random, rate: float, kinds: tuple[str, ...] = KINDS
) -> list[Token]:
    """Garble about ``rate`` of the words of 4+ letters (upper case) in ``tokens``.

    Bursts replace 1-4 letters but at most half the word; drops remove 1-3 letters and leave at
    least 4; a burst across a space replaces 2-4 characters including the space.

    Args:
        tokens: whitespace-separated words.
        rng: random source.
        rate: share of eligible words garbled.
        kinds: mechanisms drawn from, uniformly (``KINDS``, ``("symbol",)`` or
            ``("scattered",)``).
    """
    out: list[Token] = []
    k = 0
    while k < len(tokens):
        token = tokens[k]
        match = _CORE.match(token)
        if (
            not match
            or len(match.group(2)) < 4
            or not match.group(2).isupper()
            or rng.random() >= rate
        ):
            out.append(Token(token, token))
            k += 1
            continue
        pre, word, post = match.groups()
        kind = rng.choice(kinds)
        if kind == "burst_space" and k + 1 < len(tokens) and not post:
            nxt = _CORE.match(tokens[k + 1])
            if nxt and not nxt.group(1) and nxt.group(2).isupper() and len(nxt.group(2)) >= 2:
                joined = word + " " + nxt.group(2)
                # replace a run that covers the space, length kept
                width = rng.randint(2, 4)
                start = rng.randint(max(0, len(word) - width + 1), len(word))
                start = min(start, len(joined) - width)
                new = "".join(rng.choice(_LETTERS) for _ in range(width))
                garbled = joined[:start] + new + joined[start + width :]
                if " " not in garbled:
                    out.append(
                        Token(pre + garbled + nxt.group(3), token + " " + tokens[k + 1], kind)
                    )
                    k += 2
                    continue
            kind = "burst"
        if kind == "burst_space":
            kind = "burst"
        if kind == "drop" and len(word) < 5:
            kind = "burst"
        if kind == "burst":
            garbled = _burst(word, rng)
        elif kind == "drop":
            garbled = _drop(word, rng)
        elif kind == "symbol":
            garbled = _symbol(word, rng)
        elif kind == "scattered":
            found = _scattered(word, rng)
            if found is None:
                found, kind = _ocr(word, rng), "ocr"
            if found is None:
                found, kind = _burst(word, rng), "burst"
            garbled = found
        else:
            garbled = _ocr(word, rng) or _burst(word, rng)
        if garbled == word:
            out.append(Token(token, token))
        else:
            out.append(Token(pre + garbled + post, token, kind))
        k += 1
    return out
