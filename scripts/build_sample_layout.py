"""Build the printed-page layout of the MOSCOW 04648 sample from its seed transcript.

The seed (``samples/moscow-04648/seed.txt``) is a markdown-ish web-archive transcription
of the seven-section cable MOSCOW 04648 (22 February 1989). This script turns it into
``layout.json``: the cable as a teletype printed it, section by section and page by
page, which ``scripts/render_sample.py`` draws into synthetic scans.

Output format::

    {"cable": "MOSCOW 04648",
     "wrap_width": 55,
     "sections": [            # 7 sections
       [                      # pages of one section, in order
         [                    # lines of one page, top to bottom
           {"kind": "classification", "text": "SECRET"},
           {"kind": "page_header", "text": "PAGE 02 MOSCOW 04648 01 OF 07 221603Z"},
           {"kind": "body", "text": ""},          # blank printed line
           ...]]]}

``kind`` is one of ``classification``, ``page_header``, ``header``, ``body``,
``archive_stamp``, ``review_box`` and ``stray``.

Rules (each one deterministic; the judgement calls are the explicit tables below):

* The web-archive preamble (everything up to the ``MAJORITY Date:`` line) is dropped.
* A page starts at each ``PAGE nn`` line; the lines before the first one belong to the
  top of the first page. Pages are grouped into sections by the ``nn OF 07`` field.
* Every page gets exactly one ``SECRET`` classification line at the top and one at the
  bottom. The seed's other ``SECRET`` lines (repeats from the archive's sheet breaks,
  some glued into body text) are not printed.
* Review boxes and archive stamps that the seed interleaves with the text are moved
  after the page's text (the renderer draws them in the lower part of the page); the
  archive stamps above the first ``PAGE`` line stay at the top of the first page.
* Markdown is removed (``**``, ``*``, ``<i>``, ``~~``); a markdown list bullet ``- `` is
  printed as the cable's own ``--`` bullet. Runs of white space become one space.
* Text garbles are kept exactly as the seed has them (``USZCXHIS``, ``DEVisING``, the
  header-copy errors ``FEB 894``, ``ZDF4``, ``/47`` ...): the scans must carry the same
  noise as the original cable. The struck ``~~X~~`` is printed as a plain ``X``.
* Body text the seed collapsed into long lines is re-wrapped at ``WRAP_WIDTH``
  characters; runs of lines where the seed kept the teletype line breaks are kept.
"""

from __future__ import annotations

import argparse
import json
import re
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
SAMPLE_DIR: Final = REPO_ROOT / "samples" / "moscow-04648"
DEFAULT_SEED: Final = SAMPLE_DIR / "seed.txt"
DEFAULT_OUT: Final = SAMPLE_DIR / "layout.json"

CABLE: Final = "MOSCOW 04648"
SECTIONS: Final = 7
WRAP_WIDTH: Final = 55
"""Characters per body line (5 FAH-1 H-246.1: 55 characters per line)."""

CLASSIFICATION: Final = "SECRET"
PREAMBLE_LAST_LINE: Final = re.compile(r"^MAJORITY Date:")
PAGE_LINE: Final = re.compile(r"^PAGE (\d\d) MOSCOW 04648 (\d\d) OF (\d\d) \d{6}Z$")

HEADER_LINE: Final = re.compile(
    r"^(ACTION |INFO |-----\d|[OPRZ] \d{6}Z |FM |TO |(S E C R E T|SECRET) SECTION |NODIS$"
    r"|E\.O\. |TAGS: |SUBJECT: |REF: )"
)
"""Routing and heading lines; only recognised at the top of a section's first page."""

STAMP_LINE: Final = re.compile(
    r"^(From the NATIONAL SECURITY ARCHIVE|500001$|Department of State$|AN: )"
)
REVIEW_BOX_START: Final = re.compile(
    r"^(Classified$|KODIS\b|NODIS REVIEW$|NODS REVIEW$|NODIS SECTION$|\(?Cat\. A\b)"
)
"""First line of a declassification review box; the box runs to the next SECRET line."""

STRAY_LINES: Final = frozenset({"87", "\u2014", "\u2713"})
"""Marks on the scan that are neither cable text nor archive furniture."""

NEW_ITEM: Final = re.compile(r"^(\d{1,2}\. |--|[A-E]\.--)")
"""Start of a numbered paragraph or a list item: never joined to the line before it."""

HEADINGS: Final = frozenset(
    {
        "THE WRONG QUESTION",
        "THE CENTRAL ISSUE",
        "OUR AGENDA",
        "ARMS REDUCTION AND REGIONAL CONFLICTS",
        "HUMAN RIGHTS",
        "ERODING THE IRON CURTAIN",
        "EXPANDING THE AGENDA: INTERNATIONAL COOPERATION",
        "EXPANDING THE AGENDA: ECONOMICS",
        "PROBLEMS: ALLIANCE MANAGEMENT",
    }
)
"""Section headings of the cable; printed with a blank line before them."""

DASH_AFTER_WORD: Final = re.compile(r"(?<=\S) -- ")
GLUE: Final = "\x01"
"""A dash inside a sentence stays on the line of the word before it when re-wrapping,
so that no wrapped line starts with ``--`` (which would read as a list item)."""

UNDERLINE: Final = "-----"
"""The seed's rendering of a heading underline; printed as long as the heading."""

LINE_FIXES: Final[dict[str, str]] = {
    # Page furniture (bottom SECRET of page 2, top SECRET of page 3, section 02)
    # glued onto the end of paragraph 11 by the transcription.
    "(SOVIET SECRET SECRET": "(SOVIET",
    # A check mark on the scan, written after the last word of a line.
    "CIVILIAN PRODUCTION. \u2713": "CIVILIAN PRODUCTION.\n\u2713",
    # Lines that the transcription ran together: a heading, a list item and the signature.
    "CONFRONTATION. ERODING THE IRON CURTAIN": "CONFRONTATION.\nERODING THE IRON CURTAIN",
    "FOLLOWING DECADES OF REFUSAL. --EXPANSION": "FOLLOWING DECADES OF REFUSAL.\n\n--EXPANSION",
    "CURRENTLY AVOWED ASPIRATIONS. MATLOCK": "CURRENTLY AVOWED ASPIRATIONS.\n\nMATLOCK",
}
"""Seed fragments split back into the printed lines ("\\n" = line break, blank = "\\n\\n").

Each key must occur exactly once in the normalised seed; the build fails otherwise.
"""

MARKDOWN: Final = (
    (re.compile(r"\*\*(.+?)\*\*"), r"\1"),
    (re.compile(r"\*(.+?)\*"), r"\1"),
    (re.compile(r"</?i>"), ""),
    (re.compile(r"~~(.+?)~~"), r"\1"),
)


@dataclass(frozen=True, slots=True)
class SeedLine:
    """One normalised, non-blank line of the seed."""

    number: int
    """1-based line number in the seed (after splitting glued lines, the original's)."""
    text: str
    """Text with markdown removed and white space collapsed."""
    blank_before: bool
    """Whether the seed had a blank line right before this one."""


def normalise(raw: str) -> str:
    """Return a seed line without markdown and with single spaces.

    Args:
        raw: One line of the seed.

    Returns:
        The cleaned line (empty for a blank line).
    """
    text = raw.replace("\u00a0", " ").replace("\t", " ")
    for pattern, replacement in MARKDOWN:
        text = pattern.sub(replacement, text)
    text = " ".join(text.split())
    if text.startswith("- "):
        text = "--" + text[2:]
    return text


def seed_lines(seed_text: str) -> list[SeedLine]:
    """Split the seed after its preamble into normalised lines.

    Args:
        seed_text: The whole seed file.

    Returns:
        The non-blank lines from the first line after the preamble on.

    Raises:
        ValueError: If the preamble end is missing or a fix does not apply exactly once.
    """
    raw_lines = seed_text.splitlines()
    starts = [i for i, line in enumerate(raw_lines) if PREAMBLE_LAST_LINE.match(line)]
    if len(starts) != 1:
        raise ValueError("seed: expected exactly one 'MAJORITY Date:' preamble line")
    used = dict.fromkeys(LINE_FIXES, 0)
    lines: list[SeedLine] = []
    blank = False
    for index in range(starts[0] + 1, len(raw_lines)):
        text = normalise(raw_lines[index])
        for old, new in LINE_FIXES.items():
            if old in text:
                used[old] += 1
                text = text.replace(old, new)
        for part_index, part in enumerate(text.split("\n")):
            if not part:
                blank = True
                continue
            lines.append(SeedLine(index + 1, part, blank or (part_index == 0 and not lines)))
            blank = False
        if not text:
            blank = True
    missing = [old for old, count in used.items() if count != 1]
    if missing:
        raise ValueError(f"seed: line fixes not applied exactly once: {missing}")
    return lines


def split_pages(lines: Sequence[SeedLine]) -> Iterator[tuple[int, int, list[SeedLine]]]:
    """Group seed lines into printed pages.

    Args:
        lines: Output of :func:`seed_lines`.

    Yields:
        ``(section, page, lines)`` for every page; the first page also gets the lines
        before the first ``PAGE`` line.

    Raises:
        ValueError: If a page line names an unexpected section count.
    """
    current: list[SeedLine] = []
    key: tuple[int, int] | None = None
    for line in lines:
        match = PAGE_LINE.match(line.text)
        if match:
            if int(match.group(3)) != SECTIONS:
                raise ValueError(f"seed line {line.number}: not 'OF {SECTIONS:02d}'")
            if key is not None:
                yield key[0], key[1], current
                current = []
            key = (int(match.group(2)), int(match.group(1)))
        current.append(line)
    if key is None:
        raise ValueError("seed: no PAGE lines")
    yield key[0], key[1], current


def line(kind: str, text: str) -> dict[str, str]:
    """Return one layout line."""
    return {"kind": kind, "text": text}


def blank_before(seed: SeedLine, previous: str | None, *, interrupted: bool) -> bool:
    """Decide whether a blank line is printed before a body line.

    Args:
        seed: The body line.
        previous: Text of the line printed before it on the page (``None`` at the top).
        interrupted: Whether unprinted seed lines (classification repeats, stamps,
            review boxes) stand between the two lines in the seed.

    Returns:
        ``True`` after the page header and around headings; across an interruption only
        before a new numbered paragraph or list item (otherwise the text runs on);
        elsewhere wherever the seed has a blank line.
    """
    if previous is None:
        return False
    if PAGE_LINE.match(previous) or seed.text in HEADINGS or previous in HEADINGS:
        return True
    if interrupted:
        return NEW_ITEM.match(seed.text) is not None
    return seed.blank_before


def wrap_body(flow: list[dict[str, str]]) -> list[dict[str, str]]:
    """Re-wrap runs of body lines that the seed collapsed into long lines.

    A run is a maximal sequence of non-blank body lines; a list item or numbered
    paragraph starts a new run, and headings, underlines and stray marks end one.
    A run is re-wrapped at :data:`WRAP_WIDTH` only if one of its lines is longer; a
    sentence dash ``--`` is kept on the line of the word before it.

    Args:
        flow: Page lines in print order.

    Returns:
        The lines with long runs re-wrapped.
    """
    out: list[dict[str, str]] = []
    run: list[str] = []

    def flush() -> None:
        if any(len(text) > WRAP_WIDTH for text in run):
            glued = DASH_AFTER_WORD.sub(GLUE + "-- ", " ".join(run))
            wrapped = textwrap.wrap(
                glued, WRAP_WIDTH, break_long_words=False, break_on_hyphens=False
            )
            out.extend(line("body", text.replace(GLUE, " ")) for text in wrapped)
        else:
            out.extend(line("body", text) for text in run)
        run.clear()

    for entry in flow:
        text = entry["text"]
        in_run = (
            entry["kind"] == "body"
            and text != ""
            and text not in HEADINGS
            and not set(text) <= {"-"}
        )
        if in_run and NEW_ITEM.match(text):
            flush()
        if in_run:
            run.append(text)
            continue
        flush()
        out.append(entry)
    flush()
    return out


def build_page(
    section: int, page: int, lines: Sequence[SeedLine]
) -> tuple[list[dict[str, str]], list[int]]:
    """Lay out one printed page.

    Args:
        section: Section number (1-based).
        page: Page number within the section (1-based).
        lines: The page's seed lines, from its ``PAGE`` line (or the top of the seed)
            up to the next ``PAGE`` line.

    Returns:
        The page's layout lines and the seed line numbers that were not printed.
    """
    top: list[dict[str, str]] = []
    flow: list[dict[str, str]] = []
    tail: list[dict[str, str]] = []
    dropped: list[int] = []
    seen_page_header = False
    in_header = page == 1
    in_box = False
    interrupted = False
    previous_flow: str | None = None
    for seed in lines:
        text = seed.text
        if text == CLASSIFICATION:
            in_box = False
            if not seen_page_header and not any(x["kind"] == "classification" for x in top):
                top.append(line("classification", text))
            else:
                dropped.append(seed.number)
                interrupted = True
            continue
        if STAMP_LINE.match(text):
            in_box = False
            (top if not seen_page_header else tail).append(line("archive_stamp", text))
            interrupted = True
            continue
        if in_box or REVIEW_BOX_START.match(text):
            in_box = True
            tail.append(line("review_box", text))
            interrupted = True
            continue
        if PAGE_LINE.match(text):
            seen_page_header = True
            flow.append(line("page_header", text))
            previous_flow = text
            interrupted = False
            continue
        if text in STRAY_LINES:
            (flow if text == "\u2713" else tail).append(line("stray", text))
            continue
        if in_header and HEADER_LINE.match(text):
            if seed.blank_before and previous_flow is not None:
                flow.append(line("body", ""))
            flow.append(line("header", text))
            previous_flow = text
            continue
        if in_header:
            in_header = False
            flow.append(line("body", ""))
        elif text == UNDERLINE and previous_flow in HEADINGS:
            text = "-" * len(previous_flow)
        elif blank_before(seed, previous_flow, interrupted=interrupted):
            flow.append(line("body", ""))
        flow.append(line("body", text))
        previous_flow = text
        interrupted = False
    if not any(entry["kind"] == "classification" for entry in top):
        top.insert(0, line("classification", CLASSIFICATION))
    bottom = [line("classification", CLASSIFICATION)]
    return top + wrap_body(flow) + tail + bottom, dropped


def build_layout(seed_text: str) -> tuple[dict[str, object], list[int]]:
    """Build the layout document from the seed text.

    Args:
        seed_text: The whole seed file.

    Returns:
        The layout document and the seed line numbers that were not printed.

    Raises:
        ValueError: If the pages do not form seven sections of consecutive pages.
    """
    sections: list[list[list[dict[str, str]]]] = [[] for _ in range(SECTIONS)]
    dropped: list[int] = []
    for section, page, lines in split_pages(seed_lines(seed_text)):
        if page != len(sections[section - 1]) + 1:
            raise ValueError(f"section {section}: page {page} out of order")
        page_lines, page_dropped = build_page(section, page, lines)
        sections[section - 1].append(page_lines)
        dropped.extend(page_dropped)
    if any(not pages for pages in sections):
        raise ValueError("seed: a section has no pages")
    layout: dict[str, object] = {
        "cable": CABLE,
        "source": "seed.txt",
        "wrap_width": WRAP_WIDTH,
        "sections": sections,
    }
    return layout, dropped


def main(argv: Sequence[str] | None = None) -> int:
    """Write ``layout.json`` from the seed transcript.

    Args:
        argv: Command-line arguments (defaults to ``sys.argv[1:]``).

    Returns:
        The process exit code.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seed", type=Path, default=DEFAULT_SEED, help="seed transcript")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="layout.json to write")
    args = parser.parse_args(argv)
    layout, dropped = build_layout(args.seed.read_text(encoding="utf-8"))
    sections = layout["sections"]
    assert isinstance(sections, list)
    args.out.write_text(json.dumps(layout, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    pages = sum(len(section) for section in sections)
    print(f"{args.out}: {len(sections)} sections, {pages} pages")
    print(f"seed classification lines not printed (repeats at sheet breaks): {len(dropped)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
