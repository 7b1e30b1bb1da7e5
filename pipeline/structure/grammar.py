"""Header line grammar of State Department telegrams, tolerant to OCR confusions.

Every parser takes one line of text and returns a ``Parsed`` record or ``None``; none of
them raises on any input. Values are canonical (``221603Z``, ``MOSCOW 04648``); the
confidence drops by ``REPAIR_PENALTY`` for every character confusion that was repaired.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

REPAIR_PENALTY = 0.85
"""Confidence factor applied once per repaired OCR confusion."""

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
CLASSIFICATIONS = (
    "TOP SECRET",
    "LIMITED OFFICIAL USE",
    "CONFIDENTIAL",
    "UNCLASSIFIED",
    "SECRET",
    "UNCLAS",
)
CAPTIONS = (
    "NODIS",
    "EXDIS",
    "LIMDIS",
    "STADIS",
    "NOFORN",
    "CHEROKEE",
    "SPECAT",
    "ROGER",
    "EYES",
    "SECTO",
    "TOSEC",
    "NIACT",
)
PRECEDENCE_WORDS = ("NIACT", "IMMEDIATE", "PRIORITY", "ROUTINE", "FLASH")
PLAD_PREFIXES = (
    "AMEMBASSY",
    "AMCONSUL",
    "SECSTATE",
    "USMISSION",
    "USINT",
    "USDEL",
    "USLO",
    "USCINC",
    "CINC",
    "ALL",
    "SECDEF",
    "JCS",
    "WHITE",
    "DIA",
    "CIA",
    "USNATO",
    "USUN",
    "AMEMB",
)

_TO_DIGIT = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "D": "0",
        "Q": "0",
        "I": "1",
        "l": "1",
        "L": "1",
        "i": "1",
        "|": "1",
        "!": "1",
        "Z": "2",
        "z": "2",
        "S": "5",
        "s": "5",
        "B": "8",
        "G": "6",
        "b": "6",
        "T": "7",
        "A": "4",
        "g": "9",
    }
)
_TO_LETTER = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G", "4": "A"})
_STRIP = " \t.,;:"


@dataclass(frozen=True, slots=True)
class Parsed:
    """A parsed header line.

    Attributes:
        kind: Line type (page, routing, serial, dtg, fm, to, info, addressee, class,
            class_only, caption, eo, tags, subject, ref, telno, summary, end_summary).
        fields: Canonical field values by name.
        parts: The line as canonical tokens, grouped by the field they belong to
            (``None`` for labels and per-copy values); used for header consensus.
        confidence: 0-1, lower when OCR confusions were repaired.
    """

    kind: str
    fields: dict[str, Any] = field(default_factory=dict)
    parts: tuple[tuple[str | None, tuple[str, ...]], ...] = ()
    confidence: float = 1.0


def digits(token: str) -> tuple[str, int] | None:
    """Read ``token`` as digits, repairing letter/digit confusions.

    Args:
        token: A token such as ``O1`` or ``04648``.

    Returns:
        ``(digits, repairs)`` or ``None`` when the token is not number-like.
    """
    token = token.strip(_STRIP)
    if not token:
        return None
    fixed = token.translate(_TO_DIGIT)
    if not fixed.isascii() or not fixed.isdigit():
        return None
    repairs = sum(1 for a, b in zip(token, fixed, strict=True) if a != b)
    if repairs * 2 > len(token):
        return None
    return fixed, repairs


def letters(token: str) -> tuple[str, int]:
    """Upper-case ``token`` and repair digit-for-letter confusions; returns (text, repairs)."""
    upper = "".join(c.upper() if len(c.upper()) == 1 else c for c in token)
    fixed = upper.translate(_TO_LETTER)
    repairs = sum(1 for a, b in zip(upper, fixed, strict=True) if a != b)
    repairs += sum(1 for a, b in zip(token, upper, strict=True) if a != b and a.isalpha())
    return fixed, repairs


def near(word: str, target: str, limit: int = 1) -> bool:
    """True when ``word`` is within ``limit`` edits (substitution/insertion/deletion)."""
    if abs(len(word) - len(target)) > limit:
        return False
    if word == target:
        return True
    previous = list(range(len(target) + 1))
    for i, a in enumerate(word, 1):
        current = [i]
        for j, b in enumerate(target, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return previous[-1] <= limit


def collapse_spaced(tokens: list[str]) -> list[str]:
    """Join runs of single letters (``S E C R E T``) into one token."""
    out: list[str] = []
    run: list[str] = []
    for token in tokens:
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        if len(run) >= 3:
            out.append("".join(run))
        else:
            out.extend(run)
        run = []
        out.append(token)
    if len(run) >= 3:
        out.append("".join(run))
    else:
        out.extend(run)
    return out


SPACED_WORDS: dict[str, str] = {
    **{level.replace(" ", ""): level for level in CLASSIFICATIONS},
    "SECTION": "SECTION",
}
"""Words printed letter-spaced in headers and markings, by their letters without spaces."""


def _short_letters(token: str) -> bool:
    core = token.strip(_STRIP + "*")
    return 1 <= len(core) <= 4 and core.isalpha()


def join_spaced(tokens: list[str], vocabulary: dict[str, str] | None = None) -> list[str]:
    """Join letter-spaced words with any grouping (``S EC RE T`` -> ``SECRET``).

    OCR groups the letters of a letter-spaced word arbitrarily. A run of at least two
    short alphabetic tokens is joined when its letters spell a vocabulary word (one
    edit allowed for words of 6+ letters); the longest matching run wins.

    Args:
        tokens: The tokens of a line.
        vocabulary: Letters without spaces -> canonical text (``SPACED_WORDS``).

    Returns:
        The tokens with every matching run replaced by the canonical text's words.
    """
    vocabulary = SPACED_WORDS if vocabulary is None else vocabulary
    out: list[str] = []
    i = 0
    while i < len(tokens):
        end = i
        while end < len(tokens) and _short_letters(tokens[end]):
            end += 1
        joined: str | None = None
        for stop in range(end, i + 1, -1):
            letters_only = "".join(t.strip(_STRIP + "*") for t in tokens[i:stop]).upper()
            word = vocabulary.get(letters_only)
            if word is None and len(letters_only) >= 6:
                word = next(
                    (v for k, v in vocabulary.items() if len(k) >= 6 and near(letters_only, k)),
                    None,
                )
            if word is not None:
                tail = tokens[stop - 1][len(tokens[stop - 1].rstrip(_STRIP)) :]
                joined = word + tail
                out.extend(joined.split())
                i = stop
                break
        if joined is None:
            out.append(tokens[i])
            i += 1
    return out


def _label(token: str, labels: tuple[str, ...]) -> tuple[str, float] | None:
    word = token.upper().strip("\"'`\u201c\u201d\u2018\u2019").rstrip(":.,;")
    for label in labels:
        if word == label:
            return label, 1.0
    for label in labels:
        if len(label) >= 4 and near(letters(word)[0], label):
            return label, 0.8
    return None


def parse_time(token: str) -> tuple[str, float] | None:
    """Parse a ``DDHHMMZ`` time token (``2216032`` -> ``221603Z``).

    Returns:
        ``(canonical, confidence)`` or ``None``.
    """
    token = token.strip(_STRIP)
    if len(token) == 7:
        body, zulu = token[:6], token[6]
    elif len(token) == 6:
        body, zulu = token, ""
    else:
        return None
    read = digits(body)
    if read is None or len(read[0]) != 6:  # punctuation inside the six (``2161::Z``)
        return None
    number, repairs = read
    confidence = REPAIR_PENALTY**repairs
    if zulu.upper() != "Z":
        if zulu and zulu not in "2z7":
            return None
        confidence *= REPAIR_PENALTY if zulu else 0.9
    day, hour, minute = int(number[:2]), int(number[2:4]), int(number[4:])
    if not (1 <= day <= 31 and hour <= 23 and minute <= 59):
        confidence *= 0.5
    return number + "Z", confidence


def parse_month(token: str) -> tuple[str, float] | None:
    """Parse a month abbreviation, allowing one confusion (``FE8`` -> ``FEB``)."""
    word = letters(token.strip(_STRIP))[0]
    if word in MONTHS:
        return word, 1.0
    for month in MONTHS:
        if len(word) == 3 and near(word, month):
            return month, REPAIR_PENALTY
    return None


def parse_year(token: str) -> tuple[str, float, str] | None:
    """Parse a 2-digit year; a 3rd stray digit (``894``) is split off as leftover text.

    Returns:
        ``(year, confidence, leftover)`` or ``None``.
    """
    read = digits(token)
    if read is None:
        return None
    number, repairs = read
    confidence = REPAIR_PENALTY**repairs
    if len(number) == 2:
        return number, confidence, ""
    if len(number) == 4 and number[:2] == "19":
        return number[2:], confidence * 0.9, ""
    if len(number) == 3:
        return number[:2], confidence * 0.6, number[2:]
    return None


def parse_dtg_line(text: str) -> Parsed | None:
    """Precedence + date-time group: ``P 221518Z FEB 89 ZFF4``."""
    tokens = text.split()
    prec: list[str] = []
    i = 0
    while i < len(tokens) and i < 2:
        word = tokens[i].upper().replace("0", "O")
        if 1 <= len(word) <= 2 and all(c in "ZOPR" for c in word):
            prec.append(word)
            i += 1
        else:
            break
    if not prec or i >= len(tokens):
        return None
    confidence = 1.0
    time_token = tokens[i]
    if i + 1 < len(tokens) and len(tokens[i]) == 6 and tokens[i + 1].upper() == "Z":
        time_token = tokens[i] + "Z"
        i += 1
    time = parse_time(time_token)
    if time is None:
        return None
    confidence *= time[1]
    i += 1
    month = parse_month(tokens[i]) if i < len(tokens) else None
    if month is None:
        return None
    confidence *= month[1]
    i += 1
    year = parse_year(tokens[i]) if i < len(tokens) else None
    dtg = f"{time[0]} {month[0]}"
    leftover = ""
    if year is not None:
        dtg += f" {year[0]}"
        confidence *= year[1]
        leftover = year[2]
        i += 1
    else:
        confidence *= 0.7
    fields: dict[str, Any] = {"precedence": " ".join(prec), "dtg": dtg}
    parts: list[tuple[str | None, tuple[str, ...]]] = [
        ("precedence", tuple(prec)),
        ("dtg", tuple(dtg.split())),
    ]
    rest = tokens[i:]
    if rest:
        word = rest[0].upper()
        if len(word) >= 3 and word[0] == "Z" and word[2] == "F" or word.startswith("ZFF"):
            zff = "ZFF" + word[3:]
            if zff != word:
                confidence *= REPAIR_PENALTY
            fields["zff"] = zff
            parts.append(("zff", (zff,)))
            rest = rest[1:]
    if leftover and "zff" not in fields:
        parts.append(("zff", ()))
    if rest:
        parts.append((None, tuple(t.upper() for t in rest)))
        confidence *= 0.9
    return Parsed("dtg", fields, tuple(parts), confidence)


def parse_cable_id(tokens: list[str]) -> tuple[str, str, float, int] | None:
    """Read ``<POST> <number>`` from the start of ``tokens`` (post may be 1-3 words).

    Returns:
        ``(post, number, confidence, tokens used)`` or ``None``.
    """
    for n_post in (1, 2, 3):
        if len(tokens) <= n_post:
            return None
        post_words = tokens[:n_post]
        if not all(any(c.isalpha() for c in w) for w in post_words):
            return None
        number = digits(tokens[n_post])
        if number is None or not 3 <= len(number[0]) <= 7:
            continue
        post_parts = [letters(w.strip(_STRIP)) for w in post_words]
        post = " ".join(p for p, _ in post_parts)
        if not re.fullmatch(r"[A-Z][A-Z .'-]*", post):
            return None
        repairs = number[1] + sum(r for _, r in post_parts)
        return post, number[0], REPAIR_PENALTY**repairs, n_post + 1
    return None


def _section_of(tokens: list[str]) -> tuple[int, int, float, int] | None:
    """Read ``ss OF nn`` at the start of ``tokens``: (section, of, confidence, used)."""
    if len(tokens) < 3 or letters(tokens[1])[0] != "OF":
        return None
    first, second = digits(tokens[0]), digits(tokens[2])
    if first is None or second is None or len(first[0]) > 3 or len(second[0]) > 3:
        return None
    confidence = REPAIR_PENALTY ** (first[1] + second[1])
    section, total = int(first[0]), int(second[0])
    if not 1 <= section <= total:
        confidence *= 0.5
    return section, total, confidence, 3


def parse_page_line(text: str) -> Parsed | None:
    """Receiving-copy page header: ``PAGE 01 MOSCOW 04648 01 OF 07 221603Z``.

    Leading marks without letters or digits (``-``, ``"``) are skipped.
    """
    tokens = text.split()
    while tokens and not any(c.isalnum() for c in tokens[0]):
        tokens = tokens[1:]
    if len(tokens) < 3:
        return None
    label = _label(tokens[0], ("PAGE",))
    if label is None:
        return None
    page = digits(tokens[1])
    if page is None or len(page[0]) > 3:
        return None
    confidence = label[1] * REPAIR_PENALTY ** page[1]
    cable = parse_cable_id(tokens[2:])
    if cable is None:
        return None
    post, number, cable_conf, used = cable
    confidence *= cable_conf
    fields: dict[str, Any] = {
        "page": int(page[0]),
        "post": post,
        "number": number,
        "cable_id": f"{post} {number}",
    }
    rest = tokens[2 + used :]
    section = _section_of(rest)
    if section is not None:
        fields["section"], fields["sections"] = section[0], section[1]
        confidence *= section[2]
        rest = rest[section[3] :]
    if len(rest) >= 2 and len(rest[0]) == 6 and rest[1].upper() == "Z":
        rest = [rest[0] + "Z", *rest[2:]]
    if rest:
        time = parse_time(rest[0])
        if time is not None:
            fields["time"] = time[0]
            confidence *= time[1]
            rest = rest[1:]
    if rest:
        confidence *= 0.8
    return Parsed("page", fields, (), confidence)


_OFFICE = re.compile(r"^([A-Z][A-Z0-9/]{0,7})-([0-9OIl]{1,3})[,.]?$")
_CHECK = re.compile(r"^/([0-9OIl]{3})$")


def parse_routing(text: str) -> Parsed | None:
    """Distribution block: ``ACTION NODS-00`` / ``INFO LOG-00 ADS-00 /000 W``."""
    tokens = text.split()
    if not tokens:
        return None
    label = _label(tokens[0], ("ACTION", "ORIGIN", "INFO"))
    if label is None:
        return None
    offices: list[list[Any]] = []
    checksum: int | None = None
    unknown = 0
    for token in tokens[1:]:
        office = _OFFICE.match(token.upper())
        check = _CHECK.match(token)
        if office:
            count = digits(office.group(2))
            offices.append([office.group(1), int(count[0]) if count else 0])
        elif check:
            read = digits(check.group(1))
            checksum = int(read[0]) if read else None
        else:
            unknown += 1
    if not offices and checksum is None:
        return None
    fields: dict[str, Any] = {"label": label[0], "offices": offices, "checksum": checksum}
    confidence = label[1] * (0.9**unknown if unknown > 2 else 1.0)
    return Parsed("routing", fields, (), confidence)


_DASHES = "-\u2014\u2013_=~"
_SERIAL_LEAD = re.compile(f"^[{_DASHES}]{{2,}}")


def parse_serial(text: str, loose: bool = False) -> Parsed | None:
    """Dash counter line: ``-----017011 221610Z /41``.

    Tolerates OCR damage to the dash run (``---=--``, a space before the number) and a
    short misread token between dashes and number (``--TST 017041 2216112 /41``) when a
    time or a ``/nn`` tail confirms the line.

    Args:
        text: The line.
        loose: The line stands where a counter line is expected (right after the
            routing lines), so a short token may stand for the whole dash run
            (``sa 017063 2216122 /41``); a time must then confirm it.
    """
    tokens = text.split()
    if not tokens:
        return None
    if not _SERIAL_LEAD.match(tokens[0]):
        if not loose or len(tokens) < 3 or len(tokens[0]) > 3:
            return None
        tail = parse_serial("-- " + " ".join(tokens[1:]))
        if tail is None or "time" not in tail.fields:
            return None
        return Parsed("serial", tail.fields, (), tail.confidence * 0.7)
    first = tokens[0].lstrip(_DASHES)
    rest = tokens[1:]
    confidence = 1.0
    if not first and rest:
        first, rest = rest[0], rest[1:]
    read = digits(first) if 5 <= len(first) <= 7 else None
    if read is None and rest and len(first) <= 4:
        read = digits(rest[0]) if 5 <= len(rest[0]) <= 7 else None
        rest = rest[1:]
        confidence *= 0.7
    if read is None:
        return None
    fields: dict[str, Any] = {"serial": read[0]}
    time = parse_time(rest[0]) if rest else None
    if time is not None:
        fields["time"] = time[0]
    elif confidence < 1.0 and not any(re.fullmatch(r"/\w{1,3}", t) for t in rest):
        return None
    return Parsed("serial", fields, (), confidence * REPAIR_PENALTY ** read[1])


def _strip_routing_indicator(tokens: list[str]) -> list[str]:
    if tokens and re.match(r"^R[A-Z0-9]{3,7}/\S", tokens[0]):
        tokens = [tokens[0].split("/", 1)[1], *tokens[1:]]
    return tokens


def _addressee(tokens: list[str]) -> tuple[str, list[str]]:
    """Split addressee words from trailing precedence words and channel serial."""
    tokens = _strip_routing_indicator(tokens)
    names: list[str] = []
    rest: list[str] = []
    for token in tokens:
        word = token.upper()
        if rest or word in PRECEDENCE_WORDS or (digits(token) is not None and names):
            rest.append(word)
        else:
            names.append(word)
    return " ".join(names), rest


def parse_fm(text: str) -> Parsed | None:
    """Originator: ``FM AMEMBASSY MOSCOW``."""
    tokens = text.split()
    if len(tokens) < 2 or tokens[0].upper() not in ("FM", "FM:"):
        return None
    name, rest = _addressee(tokens[1:])
    if not name:
        return None
    parts: list[tuple[str | None, tuple[str, ...]]] = [(None, ("FM",))]
    parts.append(("from", tuple(name.split())))
    if rest:
        parts.append((None, tuple(rest)))
    return Parsed("fm", {"from": name}, tuple(parts), 1.0)


def parse_to(text: str) -> Parsed | None:
    """First addressee: ``TO SECSTATE WASHDC PRIORITY 5887``."""
    tokens = text.split()
    if len(tokens) < 2 or tokens[0].upper() not in ("TO", "TO:"):
        return None
    name, rest = _addressee(tokens[1:])
    if not name:
        return None
    fields: dict[str, Any] = {"to": name}
    serial = [t for t in rest if t.isdigit()]
    if serial:
        fields["serial"] = serial[-1]
    prec = [t for t in rest if not t.isdigit()]
    if prec:
        fields["to_precedence"] = " ".join(prec)
    parts: list[tuple[str | None, tuple[str, ...]]] = [(None, ("TO",)), ("to", tuple(name.split()))]
    if rest:
        parts.append((None, tuple(rest)))
    return Parsed("to", fields, tuple(parts), 1.0)


def parse_addressee(text: str) -> Parsed | None:
    """An addressee line (``INFO AMEMBASSY LONDON``, ``AMEMBASSY BONN``, ``XMT ...``)."""
    tokens = text.split()
    if not tokens:
        return None
    head = tokens[0].upper().rstrip(":")
    kind = "addressee"
    if head in ("INFO", "XMT"):
        kind = "info" if head == "INFO" else "xmt"
        tokens = tokens[1:]
    if kind == "info" and not tokens:
        return Parsed(kind, {"addressee": "", "rest": []}, (), 1.0)
    tokens = _strip_routing_indicator(tokens)
    if not tokens or tokens[0].upper() not in PLAD_PREFIXES:
        return None
    name, rest = _addressee(tokens)
    return Parsed(kind, {"addressee": name, "rest": rest}, (), 1.0)


def parse_class_line(text: str) -> Parsed | None:
    """Classification line: ``SECRET SECTION 01 OF 07 MOSCOW 04648`` or a bare marking.

    A line of classification words only (``SECRET``, ``SECRET SECRET``, ``S E C R E T``)
    is kind ``class_only`` (page furniture).
    """
    tokens = collapse_spaced(join_spaced(text.replace("*", " ").split()))
    while tokens and not any(c.isalnum() for c in tokens[0]):
        tokens = tokens[1:]
    while tokens and not any(c.isalnum() for c in tokens[-1]):
        tokens = tokens[:-1]
    if not tokens:
        return None
    found = _classification(tokens)
    if found is None:
        if not near(letters(tokens[0])[0], "SECTION") or len(tokens) < 4:
            return None
        found = ("", 0, 0.9)
    level, used, confidence = found
    rest = tokens[used:]
    while rest and level:
        again = _classification(rest)
        if again is None or again[0] != level:
            break
        rest = rest[again[1] :]
    if not rest:
        return Parsed("class_only", {"classification": level}, (), confidence)
    fields: dict[str, Any] = {"classification": level} if level else {}
    parts: list[tuple[str | None, tuple[str, ...]]] = []
    if level:
        parts.append(("classification", tuple(level.split())))
    if letters(rest[0])[0] in ("SECTION", "SECTLON") or near(letters(rest[0])[0], "SECTION"):
        section = _section_of(rest[1:])
        if section is None:
            return None
        fields["section"], fields["sections"] = section[0], section[1]
        confidence *= section[2]
        parts.append((None, ("SECTION", f"{section[0]:02d}", "OF")))
        parts.append(("sections", (f"{section[1]:02d}",)))
        rest = rest[1 + section[3] :]
    captions: list[str] = []
    while rest and caption_word(rest[0]) is not None:
        captions.append(str(caption_word(rest[0])))
        rest = rest[1:]
    if captions:
        fields["caption"] = " ".join(captions)
        parts.append(("caption", tuple(captions)))
    cable = parse_cable_id(rest) if rest else None
    if cable is None:
        if "section" not in fields:
            return None
    else:
        post, number, cable_conf, used = cable
        fields["post"], fields["number"] = post, number
        fields["cable_id"] = f"{post} {number}"
        confidence *= cable_conf
        parts.append(("cable_id", (post, number)))
        rest = rest[used:]
    if rest:
        confidence *= 0.7
        parts.append((None, tuple(t.upper() for t in rest)))
    return Parsed("class", fields, tuple(parts), confidence)


def _classification(tokens: list[str]) -> tuple[str, int, float] | None:
    for level in CLASSIFICATIONS:
        words = level.split()
        if len(tokens) < len(words):
            continue
        confidence = 1.0
        for token, word in zip(tokens, words, strict=False):
            read = letters(token.strip(_STRIP))[0]
            if read == word:
                continue
            if len(word) >= 5 and near(read, word):
                confidence *= REPAIR_PENALTY
                continue
            break
        else:
            return level, len(words), confidence
    return None


def caption_word(token: str) -> str | None:
    """The handling caption ``token`` reads as (OCR damage allowed), or ``None``."""
    word = letters(token.strip(_STRIP))[0]
    if word in CAPTIONS:
        return word
    for caption in CAPTIONS[:6]:
        if near(word, caption):
            return caption
    return None


def parse_caption(text: str) -> Parsed | None:
    """Handling caption line: ``NODIS``, ``EXDIS FOR AMBASSADOR``, ``EYES ONLY``."""
    tokens = text.split()
    if not tokens or len(tokens) > 8:
        return None
    first = caption_word(tokens[0])
    upper = [t.upper() for t in tokens]
    passing = "PASS" in upper[1:4] and upper[0] in ("DEPT", "DEPARTMENT", "PLEASE", "PLS")
    if first is None and not (passing or upper[0] == "FOR" and "FROM" in upper):
        return None
    if first is not None:
        upper[0] = first
    confidence = 1.0 if first is None or first == tokens[0].upper() else REPAIR_PENALTY
    value = " ".join(upper)
    return Parsed("caption", {"caption": value}, (("caption", tuple(upper)),), confidence)


def parse_eo(text: str) -> Parsed | None:
    """Declassification line: ``E.O. 12356: DECL: OADR``, ``EO 11652: GDS``."""
    match = re.match(r"^\s*E\s*[.,]?\s*[O0]\s*[.,/:]*\s*([0-9OIlSZ]{5})\s*[:;.]?\s*(.*)$", text)
    if not match:
        return None
    read = digits(match.group(1))
    if read is None:
        return None
    rest = re.sub(r":(?=\S)", ": ", match.group(2).strip().upper())
    rest = re.sub(r"\s+", " ", rest)
    confidence = REPAIR_PENALTY ** read[1]
    if read[0] not in ("11652", "12065", "12356", "12958", "13292", "13526"):
        confidence *= 0.6
    value = f"E.O. {read[0]}: {rest}".rstrip()
    return Parsed("eo", {"eo": value}, (("eo", tuple(value.split())),), confidence)


def parse_tags(text: str) -> Parsed | None:
    """TAGS line: ``TAGS: PREL, UR`` -> ``["PREL", "UR"]`` (names in parentheses kept whole)."""
    match = re.match(r"^\s*TAGS?\s*[:.;]?\s*(.*)$", text, re.IGNORECASE)
    if not match or not text.strip().upper().startswith("TAG"):
        return None
    tags = split_tags(match.group(1))
    rendered = ", ".join(tags).split()
    return Parsed("tags", {"tags": tags}, ((None, ("TAGS:",)), ("tags", tuple(rendered))), 1.0)


def split_tags(text: str) -> list[str]:
    """Split a TAGS value on commas/spaces, keeping ``(SURNAME, NAME)`` together."""
    tags: list[str] = []
    for match in re.finditer(r"\([^)]*\)?|[^\s,()]+", text.upper()):
        tag = match.group(0).strip(" ,.;")
        if tag:
            tags.append(tag)
    return tags


def _labelled(text: str, labels: tuple[str, ...], kind: str, name: str) -> Parsed | None:
    match = re.match(r"^\s*([A-Za-z]{3,8})\s*[:.;]+\s*(.*)$", text)
    if not match:
        return None
    label = match.group(1).upper()
    if label not in labels and not any(len(x) >= 5 and near(label, x) for x in labels):
        return None
    value = " ".join(match.group(2).upper().split())
    confidence = 1.0 if label in labels else 0.8
    parts = ((None, (f"{label}:",)), (name, tuple(value.split())))
    return Parsed(kind, {name: value, "label": label}, parts, confidence)


def parse_subject(text: str) -> Parsed | None:
    """``SUBJECT: ...`` or ``SUBJ: ...``."""
    return _labelled(text, ("SUBJECT", "SUBJ"), "subject", "subject")


def parse_ref(text: str) -> Parsed | None:
    """``REF: ...``, ``REFS: ...`` or ``REFTEL: ...``."""
    return _labelled(text, ("REF", "REFS", "REFTEL"), "ref", "ref")


def parse_telno(text: str) -> Parsed | None:
    """A bare telegram number line in the heading: ``USUN 1900``, ``STATE 163147``."""
    tokens = text.split()
    if not 2 <= len(tokens) <= 4:
        return None
    cable = parse_cable_id(tokens)
    if cable is None or cable[3] != len(tokens):
        return None
    post, number, confidence, _ = cable
    fields = {"post": post, "number": number, "cable_id": f"{post} {number}"}
    return Parsed("telno", fields, (("cable_id", (post, number)),), confidence)


def parse_summary_marker(text: str) -> Parsed | None:
    """``BEGIN SUMMARY``, ``SUMMARY:`` or ``END SUMMARY.`` alone on a line.

    A short garbled prefix glued to SUMMARY (``EGOSUMMARY.``) is read as END SUMMARY.
    """
    word = " ".join(text.upper().split()).strip(" .:;-")
    if word in ("BEGIN SUMMARY", "SUMMARY"):
        return Parsed("summary", {"marker": "BEGIN SUMMARY"}, (), 1.0)
    if word == "END SUMMARY":
        return Parsed("end_summary", {"marker": "END SUMMARY"}, (), 1.0)
    match = re.fullmatch(r"([A-Z]{1,4}) ?SUMMARY", word)
    if match and match.group(1) != "BEGIN":
        return Parsed("end_summary", {"marker": "END SUMMARY"}, (), 0.6)
    return None


HEADER_PARSERS = (
    parse_routing,
    parse_serial,
    parse_dtg_line,
    parse_fm,
    parse_to,
    parse_class_line,
    parse_eo,
    parse_tags,
    parse_subject,
    parse_ref,
    parse_caption,
    parse_addressee,
    parse_telno,
)
"""Parsers tried, in this order, on a line inside a header block."""


def parse_header_line(text: str) -> Parsed | None:
    """Parse any header line type (page line first); ``None`` when nothing matches."""
    page = parse_page_line(text)
    if page is not None:
        return page
    for parser in HEADER_PARSERS:
        parsed = parser(text)
        if parsed is not None:
            return parsed
    return None


_PARA = re.compile(r"^\(?(\d{1,2})[.)](?:\s|$)")


def paragraph_number(text: str) -> int | None:
    """Number of a numbered paragraph (``12. TEXT`` -> 12), else ``None``."""
    match = _PARA.match(text.strip())
    return int(match.group(1)) if match else None
