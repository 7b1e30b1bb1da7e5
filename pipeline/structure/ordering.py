"""Logical pages: splitting at PAGE lines, mixed-cable check, ordering, duplicates, gaps.

The reading order comes from the headers, never from file names: each logical page is
keyed by (section, page in section) from its PAGE line or its classification line.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.errors import CableError
from pipeline.records import OcrPage
from pipeline.structure import grammar
from pipeline.structure.classify import Line, page_lines


@dataclass(eq=False)
class Unit:
    """A logical page: the lines from one PAGE line to the next (or a whole scan)."""

    lines: list[Line]
    order: int
    """Position in input order."""
    section: int | None = None
    sections: int | None = None
    page: int | None = None
    cable_id: str | None = None
    time: str | None = None
    duplicate_of: Unit | None = None

    @property
    def key(self) -> tuple[int, int] | None:
        """Sort key (section, page), when known."""
        if self.page is None and self.section is None:
            return None
        return (self.section or 1, self.page or 1)

    def label(self) -> str:
        """Human label such as ``section 02 page 01 (scan.pdf p3)``."""
        where = self.lines[0].ref.label() if self.lines else "?"
        return f"section {self.section or 1:02d} page {self.page or 1:02d} ({where})"

    def signature(self) -> str:
        """Normalised text, used to recognise exact duplicate pages."""
        return re.sub(r"[^A-Z0-9]+", "", " ".join(x.text for x in self.lines).upper())


def split_units(pages: Sequence[OcrPage]) -> list[Unit]:
    """Split every page at its PAGE lines; lines above a page's first PAGE line join it."""
    units: list[Unit] = []
    for position, page in enumerate(pages):
        segments: list[list[Line]] = [[]]
        for line in page_lines(page, position):
            if _page_line(line):
                segments.append([])
            segments[-1].append(line)
        if len(segments) > 1:
            # Lines above a page's first PAGE line belong to that logical page.
            segments[1][:0] = segments[0]
            segments.pop(0)
        for lines in segments:
            unit = Unit(lines, len(units))
            _key(unit)
            units.append(unit)
    return units


def _page_line(line: Line) -> bool:
    return grammar.parse_page_line(line.text) is not None


def _key(unit: Unit) -> None:
    """Fill a unit's section/page/cable id from its PAGE line or classification line."""
    for line in unit.lines[:40]:
        parsed = grammar.parse_page_line(line.text)
        if parsed is not None:
            unit.page = parsed.fields["page"]
            unit.section = parsed.fields.get("section")
            unit.sections = parsed.fields.get("sections")
            unit.cable_id = parsed.fields["cable_id"]
            unit.time = parsed.fields.get("time")
            return
    for line in unit.lines[:60]:
        parsed = grammar.parse_class_line(line.text)
        if parsed is not None and parsed.kind == "class" and "section" in parsed.fields:
            unit.section = parsed.fields["section"]
            unit.sections = parsed.fields["sections"]
            unit.cable_id = parsed.fields.get("cable_id")
            unit.page = 1
            return


def _same_cable(a: str, b: str) -> bool:
    """Ids of the same cable up to one misread character in post or number."""
    post_a, _, num_a = a.rpartition(" ")
    post_b, _, num_b = b.rpartition(" ")
    if num_a.lstrip("0") == num_b.lstrip("0"):
        return grammar.near(post_a, post_b, 2) or post_a[:6] == post_b[:6]
    if post_a[:6] != post_b[:6] and not grammar.near(post_a, post_b, 1):
        return False
    return grammar.near(num_a.lstrip("0"), num_b.lstrip("0"), 1)


def check_one_cable(units: Sequence[Unit]) -> str | None:
    """Raise ``CableError`` when PAGE lines name two different cables; return the id."""
    ids = Counter(u.cable_id for u in units if u.cable_id)
    if not ids:
        return None
    ranked = [cable for cable, _ in ids.most_common()]
    main = ranked[0]
    for other in ranked[1:]:
        if not _same_cable(main, other):
            first, second = sorted(
                (main, other), key=lambda c: min(u.order for u in units if u.cable_id == c)
            )
            raise CableError(f"input mixes cables {first} and {second}; process them separately")
    return main


def section_count(units: Sequence[Unit], extra: Sequence[int]) -> tuple[int | None, list[str]]:
    """Majority ``OF nn`` count over PAGE lines and classification lines.

    Raises:
        CableError: When two counts are tied for the majority.
    """
    counts = Counter([u.sections for u in units if u.sections] + list(extra))
    if not counts:
        return None, []
    ranked = counts.most_common()
    if len(ranked) == 1:
        return ranked[0][0], []
    (best, n_best), (second, n_second) = ranked[0], ranked[1]
    if n_best == n_second:
        raise CableError(
            f"contradictory section counts {best:02d} and {second:02d} with no majority; "
            "check that the pages belong to one cable"
        )
    others = ", ".join(f"OF {v:02d} ({n}x)" for v, n in ranked[1:])
    return best, [
        f"contradictory section counts: OF {best:02d} ({n_best}x) vs {others}; using {best:02d}"
    ]


def order_units(units: list[Unit]) -> tuple[list[Unit], list[Unit], list[str]]:
    """Sort units by (section, page); drop duplicates.

    Units without a key stay right after the unit that preceded them in input order.

    Returns:
        (ordered units, dropped duplicate units, warnings).
    """
    warnings: list[str] = []
    keyed = sorted((u for u in units if u.key is not None), key=lambda u: (u.key, u.order))
    ordered: list[Unit] = []
    dropped: list[Unit] = []
    seen: dict[tuple[int, int], Unit] = {}
    for unit in keyed:
        key = unit.key
        assert key is not None
        if key in seen:
            first = seen[key]
            unit.duplicate_of = first
            dropped.append(unit)
            if unit.signature() == first.signature():
                warnings.append(f"duplicate page dropped: {unit.label()} repeats {first.label()}")
            else:
                warnings.append(
                    f"page {unit.label()} has the same section/page as {first.label()} "
                    "but different text; kept the first"
                )
            continue
        seen[key] = unit
        ordered.append(unit)
    loose = [u for u in units if u.key is None]
    if loose and ordered:
        warnings.append(
            f"{len(loose)} page(s) without PAGE line or section number kept in input order"
        )
    for unit in sorted(loose, key=lambda u: u.order):
        before = [u for u in ordered if u.order < unit.order]
        if not before:
            ordered.insert(0, unit)
        else:
            anchor = max(before, key=lambda u: u.order)
            ordered.insert(ordered.index(anchor) + 1, unit)
    return ordered, dropped, warnings


def find_gaps(
    ordered: Sequence[Unit], sections: int | None
) -> tuple[dict[int, list[str]], list[str]]:
    """Missing sections and pages.

    Returns:
        (gap labels by the position in ``ordered`` they precede, warnings). Position
        ``len(ordered)`` means after the last unit.
    """
    gaps: dict[int, list[str]] = {}
    warnings: list[str] = []
    pages: dict[int, set[int]] = {}
    for unit in ordered:
        if unit.key is not None:
            pages.setdefault(unit.key[0], set()).add(unit.key[1])
    if not pages:
        return gaps, warnings
    # a known section count bounds the gaps: one misread number must not invent dozens
    total = sections if sections is not None else max(pages)

    def position(section: int, page: int) -> int:
        for index, unit in enumerate(ordered):
            if unit.key is not None and unit.key >= (section, page):
                return index
        return len(ordered)

    for section in range(1, total + 1):
        if section not in pages:
            label = f"SECTION {section:02d} OF {total:02d} MISSING"
            warnings.append(f"section {section:02d} of {total:02d} missing")
            gaps.setdefault(position(section, 0), []).append(label)
            continue
        for page in range(1, max(pages[section])):
            if page not in pages[section]:
                label = f"SECTION {section:02d} PAGE {page:02d} MISSING"
                warnings.append(f"section {section:02d} page {page:02d} missing")
                gaps.setdefault(position(section, page), []).append(label)
    if sections is not None and max(pages) > sections:
        warnings.append(f"section {max(pages):02d} found but the cable has {sections:02d}")
    return gaps, warnings
