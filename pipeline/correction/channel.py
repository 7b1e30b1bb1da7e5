"""Noisy-channel error model: how likely a garbled token is, given the intended text.

One edit is a contiguous block: the garbled token and the intended text share a prefix and a
suffix and differ in a middle of at most ``max_block`` characters on each side. The block's
shape names the mechanism: dropped characters, inserted characters, a teletype burst (a run
replaced with the length kept, possibly swallowing a space), an OCR confusion (0/O, 1/I, rn/m),
an omitted space (split) or a plain one-character typo.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pipeline.records import Source

SINGLE_CONFUSIONS: dict[tuple[str, str], float] = {}
"""(garbled char, intended char) -> probability weight of the substitution."""
for _a, _b, _w in (
    ("0", "O", 0.3),
    ("O", "0", 0.3),
    ("1", "I", 0.3),
    ("1", "L", 0.3),
    ("L", "I", 0.1),
    ("I", "L", 0.1),
    ("5", "S", 0.3),
    ("8", "B", 0.3),
    ("2", "Z", 0.3),
    ("6", "G", 0.2),
    ("Q", "O", 0.1),
    ("D", "O", 0.05),
    ("O", "D", 0.05),
    ("C", "G", 0.05),
    ("G", "C", 0.05),
    ("F", "E", 0.05),
    ("E", "F", 0.05),
    ("U", "V", 0.05),
    ("V", "U", 0.05),
):
    SINGLE_CONFUSIONS[(_a, _b)] = _w

MULTI_CONFUSIONS: dict[tuple[str, str], float] = {
    ("RN", "M"): 0.2,
    ("CL", "D"): 0.2,
    ("VV", "W"): 0.2,
    ("M", "RN"): 0.05,
    ("LI", "U"): 0.05,
    ("II", "U"): 0.05,
}
"""(garbled chars, intended chars) -> weight, for upper-cased text."""

DROP_LOGP = math.log(0.05)
"""One dropped character."""
DROP_MORE_LOGP = math.log(0.6)
"""Each further dropped character (drops of 1-3 characters are about equally common)."""
INSERT_LOGP = math.log(0.001)
"""Inserted characters with nothing replaced (bursts keep the length, so this is rare)."""
INSERT_MORE_LOGP = math.log(0.1)
"""Each further inserted character."""
BURST_LOGP = math.log(0.01)
"""One substituted character (a burst of one)."""
BURST_MORE_LOGP = math.log(0.08)
"""Each further character of a burst (random letters: wider is rarer)."""

LENGTH_CHANGE_LOGP = math.log(0.01)
"""Each character a burst adds or removes (bursts keep the length; OCR merges do not)."""

DIGIT_TO_LETTER = {"0": "O", "1": "IL", "5": "S", "8": "B", "2": "Z", "6": "G"}
"""Letters a digit may have been read for."""


@dataclass(frozen=True, slots=True)
class Edit:
    """The block that turns intended ``target`` into ``garbled``."""

    start: int
    garbled: str
    """Garbled middle."""
    intended: str
    """Intended middle (may contain a space)."""


def _common_prefix(a: str, b: str, limit: int) -> int:
    """Length of the common prefix of ``a`` and ``b`` (at most ``limit``), by bisection."""
    low, high = 0, limit
    while low < high:
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def _common_suffix(a: str, b: str, limit: int) -> int:
    """Length of the common suffix of ``a`` and ``b`` (at most ``limit``), by bisection."""
    low, high = 0, limit
    n, m = len(a), len(b)
    while low < high:
        mid = (low + high + 1) // 2
        if a[n - mid :] == b[m - mid :]:
            low = mid
        else:
            high = mid - 1
    return low


def block_edit(garbled: str, target: str, max_block: int) -> Edit | None:
    """The single block edit from ``target`` to ``garbled``, or None when it is larger.

    Args:
        garbled: the token as read (upper case, no spaces).
        target: a candidate (upper case; a space between words of a pair).
        max_block: largest middle allowed on each side (one extra for a swallowed space).
    """
    n, m = len(garbled), len(target)
    limit = min(n, m)
    i = _common_prefix(garbled, target, limit)
    j = _common_suffix(garbled, target, limit - i)
    gm = garbled[i : n - j]
    tm = target[i : m - j]
    if not gm and not tm:
        return None
    spaces = tm.count(" ")
    if spaces > 1 or len(gm) > max_block or len(tm) - spaces > max_block:
        return None
    return Edit(i, gm, tm)


_UNRECOGNIZABLE_LOGP = math.log(0.1)


def token_channels(
    garbled: str, targets: Iterable[str], max_block: int
) -> Iterator[tuple[str, float, Source]]:
    """``(target, *channel_logp(edit, len(garbled)))`` for each target ``block_edit`` reaches.

    ``edit`` is ``block_edit(garbled, target, max_block)``, skipped when None. The candidate
    generator's fast path: no ``Edit`` is built, and the garbled token's prefixes and
    suffixes are cut once, each target is only compared against them.
    """
    n = len(garbled)
    prefixes = [garbled[:k] for k in range(n + 1)]
    suffixes = [garbled[n - k :] for k in range(n + 1)]
    middle = _middle_logp
    for target in targets:
        m = len(target)
        limit = n if n < m else m
        low, high = 0, limit
        while low < high:
            mid = (low + high + 1) // 2
            if target.startswith(prefixes[mid]):
                low = mid
            else:
                high = mid - 1
        i = low
        low, high = 0, limit - i
        while low < high:
            mid = (low + high + 1) // 2
            if target.endswith(suffixes[mid]):
                low = mid
            else:
                high = mid - 1
        j = low
        width = n - j - i
        if width > max_block or m - j - i > max_block + 1:
            continue
        tm = target[i : m - j]
        spaces = tm.count(" ")
        if (not width and not tm) or spaces > 1 or len(tm) - spaces > max_block:
            continue
        logp, source = middle(garbled[i : n - j], tm)
        intact = n - width
        if intact < 4 or intact * 2 <= n:
            logp += _UNRECOGNIZABLE_LOGP
        yield target, logp, source


def channel_logp(edit: Edit, length: int) -> tuple[float, Source]:
    """Log P(garbled middle | intended middle) and the mechanism's source label.

    Args:
        edit: the block.
        length: length of the whole garbled token; an edit that leaves at most half of
            its characters (or fewer than 4) untouched is penalized: the reading is no longer
            recognizable.
    """
    logp, source = _middle_logp(edit.garbled, edit.intended)
    intact = length - len(edit.garbled)
    if intact < 4 or intact * 2 <= length:
        logp += _UNRECOGNIZABLE_LOGP
    return logp, source


_SPLIT_MIDDLE = (math.log(0.02), Source.SPLIT_MERGE)
_SWAP_LOGP = math.log(0.005)
_MULTI_WIDTH = max(len(part) for pair in MULTI_CONFUSIONS for part in pair)


def _middle_logp(gm: str, tm: str) -> tuple[float, Source]:
    lg, lt = len(gm), len(tm)
    spaced = " " in tm
    bare = tm.replace(" ", "") if spaced else tm
    if spaced and gm == bare:
        return _SPLIT_MIDDLE
    if not lg:
        return DROP_LOGP + (lt - 1) * DROP_MORE_LOGP, Source.DICTIONARY
    if not lt:
        return INSERT_LOGP + (lg - 1) * INSERT_MORE_LOGP, Source.DICTIONARY
    if lg <= _MULTI_WIDTH and lt <= _MULTI_WIDTH and (gm, tm) in MULTI_CONFUSIONS:
        return math.log(MULTI_CONFUSIONS[(gm, tm)]), Source.CONFUSION
    if (
        lg == lt
        and (gm[0], tm[0]) in SINGLE_CONFUSIONS
        and all((a, b) in SINGLE_CONFUSIONS for a, b in zip(gm, tm, strict=True))
    ):
        logp = sum(math.log(SINGLE_CONFUSIONS[(a, b)]) for a, b in zip(gm, tm, strict=True))
        return logp, Source.CONFUSION
    if lg == 2 and gm == tm[::-1]:
        return _SWAP_LOGP, Source.DICTIONARY
    width = lg if lg > lt else lt
    if width == 1:
        return BURST_LOGP, Source.DICTIONARY
    logp = BURST_LOGP + (width - 1) * BURST_MORE_LOGP
    if not (lg == lt or (lt == lg + 1 and spaced)):
        logp += abs(lg - len(bare)) * LENGTH_CHANGE_LOGP
    return logp, Source.BURST
