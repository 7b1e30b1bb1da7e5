"""Check the structure stage on the MOSCOW 04648 sample against its reference transcript.

Runs reading and structuring only (no correction) and reports: numbered paragraphs found
(each exactly once, in order), boilerplate left in the body, header lines and fields, and
word-level alignment of the body with the reference (garbles that correction should fix
are listed). Exit status 0 when paragraphs, boilerplate and header checks pass.

The scans (``--scans DIR``) are OCR'd in a shuffled order (``--shuffle-seed``), so
the page order must come from the page headers. ``--cache FILE`` keeps the OCR pages
in a pickle between runs (the OCR is done when the file does not hold every scan yet).

Usage:
    python scripts/check_structure.py [--seed PATH] [--reference PATH] [--scans DIR]
        [--shuffle-seed N] [--cache FILE]
"""

from __future__ import annotations

import argparse
import dataclasses
import pickle
import random
import re
import sys
import time
from difflib import SequenceMatcher
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.api import read  # noqa: E402
from pipeline.errors import PipelineError  # noqa: E402
from pipeline.evaluate import body_of, cer, wer  # noqa: E402
from pipeline.records import OcrPage, Transcript  # noqa: E402
from pipeline.structure import build_transcript, grammar  # noqa: E402

SAMPLE = ROOT / "samples" / "moscow-04648"
BOILERPLATE = re.compile(
    r"\bPAGE \d\d\b|\bSECRET SECRET\b|^SECRET$|\bS E C R E T\b|\bCat\.|Reviewed by|"
    r"NATIONAL SECURITY ARCHIVE|Department of State|\bAN: N\d",
    re.IGNORECASE,
)


def reference_parts(text: str) -> tuple[list[str], list[str], str]:
    """Reference header lines, body blocks and signature."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text)]
    blocks = [b for b in blocks if b]
    header = blocks[0].splitlines()
    body = blocks[1:]
    signature = ""
    if body and re.fullmatch(r"[A-Z][A-Z'-]+", body[-1]):
        signature = body.pop()
    return header, body, signature


def expected_fields(header: list[str]) -> dict[str, object]:
    """Header field values read from the reference header lines."""
    fields: dict[str, object] = {}
    for line in header:
        parsed = grammar.parse_header_line(line)
        if parsed is None:
            continue
        for key, value in parsed.fields.items():
            if key in ("section", "label", "serial", "to_precedence", "zff", "number", "post"):
                continue
            fields.setdefault(key, value)
    if "cable_id" in fields:
        post, _, number = str(fields["cable_id"]).rpartition(" ")
        fields["post"], fields["number"] = post, number
    return fields


def numbered(paragraphs: list[str]) -> list[int]:
    """Paragraph numbers in order."""
    return [n for p in paragraphs if (n := grammar.paragraph_number(p)) is not None]


def report(name: str, transcript: Transcript, reference: Path, seconds: float) -> bool:
    """Print the comparison; return True when the structural checks pass."""
    reference_text = reference.read_text(encoding="utf-8")
    ref_header, ref_body, ref_signature = reference_parts(reference_text)
    body = transcript.body_paragraphs()
    ok = True
    print(f"== {name}: {len(transcript.words)} words, structured in {seconds:.3f} s")
    numbers = numbered(body)
    expected = numbered(ref_body)
    good = numbers == expected
    ok &= good
    print(
        f"numbered paragraphs: {len(numbers)} found, {len(expected)} in reference, "
        f"{'all once in order' if good else 'MISMATCH: ' + str(numbers)}"
    )
    print(f"body blocks: {len(body)} (reference {len(ref_body)})")
    leaks = [p[:70] for p in body if BOILERPLATE.search(p)]
    ok &= not leaks
    print(f"boilerplate in body: {'yes' if leaks else 'no'}")
    for leak in leaks[:5]:
        print(f"  leak: {leak}")
    header = transcript.header_lines()
    lines_ok = header == ref_header
    print(f"header lines: {'identical' if lines_ok else 'DIFFER'} ({len(header)} lines)")
    if not lines_ok:
        for a, b in zip(header, ref_header, strict=False):
            if a != b:
                print(f"  got {a!r} want {b!r}")
    ok &= lines_ok
    for key, want in expected_fields(ref_header).items():
        found = transcript.header.get(key)
        value = found.value if found is not None else None
        right = value == want
        ok &= right
        mark = "ok " if right else "BAD"
        print(f"  {mark} {key:15} {value!r}" + ("" if right else f" (want {want!r})"))
    signature = transcript.signature()
    verdict = "ok" if signature == ref_signature else f"want {ref_signature!r}"
    print(f"signature: {signature!r} ({verdict})")
    ok &= signature == ref_signature
    got_tokens = " ".join(body).split()
    want_tokens = " ".join(ref_body).split()
    matcher = SequenceMatcher(None, got_tokens, want_tokens, autojunk=False)
    same = sum(size for _, _, size in matcher.get_matching_blocks())
    garbles = [
        (" ".join(got_tokens[i1:i2]), " ".join(want_tokens[j1:j2]))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]
    print(
        f"body words: {len(got_tokens)} vs reference {len(want_tokens)}; "
        f"{same} aligned ({same / max(1, len(want_tokens)):.2%}); "
        f"{len(garbles)} differing spans (before correction)"
    )
    for got, want in garbles[:25]:
        print(f"  {got!r} -> {want!r}")
    got_body = body_of(transcript.text())
    want_body = body_of(reference_text)
    print(
        f"body CER {cer(got_body, want_body):.4f} WER {wer(got_body, want_body):.4f} "
        "(pipeline.evaluate, before correction)"
    )
    kinds = sorted(set(transcript.paragraph_kinds.values()))
    print(f"paragraph kinds: {kinds}")
    print(f"warnings: {list(transcript.warnings) or 'none'}")
    return ok


def read_scans(scans: list[Path], cache: Path | None) -> list[OcrPage]:
    """OCR ``scans`` in the given order, reusing pages kept in ``cache`` when it has them all.

    Cached pages are re-indexed to their position in ``scans``.
    """
    kept: dict[str, OcrPage] = {}
    if cache is not None and cache.is_file():
        with cache.open("rb") as handle:
            loaded = pickle.load(handle)
        if isinstance(loaded, dict):
            kept = loaded
    keys = [str(path.resolve()) for path in scans]
    if not all(key in kept for key in keys):
        pages = read(scans)
        kept = dict(zip(keys, pages, strict=True))
        if cache is not None:
            with cache.open("wb") as handle:
                pickle.dump(kept, handle)
        print(f"scans: OCR'd {len(scans)} pages" + (f", cached in {cache}" if cache else ""))
    else:
        print(f"scans: OCR pages reused from {cache}")
    return [
        dataclasses.replace(kept[key], ref=dataclasses.replace(kept[key].ref, index=position))
        for position, key in enumerate(keys)
    ]


def main() -> int:
    """Run the checks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=Path, default=SAMPLE / "seed.txt")
    parser.add_argument("--reference", type=Path, default=SAMPLE / "reference.txt")
    parser.add_argument("--scans", type=Path, help="folder with page-*.png scans")
    parser.add_argument("--shuffle-seed", type=int, default=7)
    parser.add_argument("--cache", type=Path, help="pickle file keeping the scans' OCR pages")
    args = parser.parse_args()
    pages = read([args.seed])
    begin = time.perf_counter()
    transcript = build_transcript(pages)
    ok = report(f"text {args.seed.name}", transcript, args.reference, time.perf_counter() - begin)
    if args.scans:
        scans = sorted(args.scans.glob("page-*.png"))
        if not scans:
            print(f"scans: none in {args.scans}; skipped")
        else:
            random.Random(args.shuffle_seed).shuffle(scans)
            print(f"scans: {len(scans)} pages in shuffled order: {[p.name for p in scans]}")
            try:
                scan_pages = read_scans(scans, args.cache)
            except PipelineError as exc:
                print(f"scans: skipped ({exc})")
            else:
                begin = time.perf_counter()
                scanned = build_transcript(scan_pages)
                ok &= report("scans", scanned, args.reference, time.perf_counter() - begin)
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
