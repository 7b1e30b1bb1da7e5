"""Benchmark cable-ocr's preprocessing + OCR against raw Tesseract.

For each page: CER, WER and seconds for the raw ``tesseract`` CLI (single-threaded, no
preprocessing, ``--psm 3`` and ``--psm 6``) and for cable-ocr (load + preprocessing + OCR,
``pipeline.read.read_one``), plus the peak RSS of the cable-ocr worker process and of its
Tesseract child. The default setting is measured once per OCR engine (``--engines``):
``cli`` (the ``tesseract`` program per page, through pytesseract) and ``tesserocr``
(Tesseract in the worker process, the API created on the worker's first page and reused).

CPU time, made comparable across engines:
- raw ``tesseract``: user + system time of the child process (``os.wait4``), which
  includes loading the model for every page, as any CLI run does.
- cable-ocr: measured inside the worker as the change, over ``read_one``, of
  ``getrusage(RUSAGE_SELF)`` (decoding, preprocessing, and with ``tesserocr`` the OCR
  itself) plus ``getrusage(RUSAGE_CHILDREN)`` (the ``tesseract`` child of the ``cli``
  engine, counted once it has been waited for). Both engines are timed by the same sum,
  so work is counted wherever it runs; the ``tesserocr`` model load falls in the first
  page of each data set (workers are long-lived, so it is amortized as in a real run).

Data sets:
- ``sample``: ``samples/moscow-04648/scans/page-*.png`` with ``truth.json`` (rendered lines per
  page); when absent, three synthetic cable pages (clean, moderate, heavy) are rendered.
- ``inkbench``: the 23 typewritten InkBench pages, read in place (``--inkbench DIR``);
  ``[* ... *]`` handwriting annotations are removed from the ground truth.

Usage:
    .venv/bin/python scripts/benchmark_ocr.py --dataset inkbench --candidates --json out.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.config import DEFAULT_PREPROCESS_STEPS, OcrConfig, PipelineConfig  # noqa: E402
from pipeline.evaluate import EvalResult, combine, evaluate_text, normalize_text  # noqa: E402

INKBENCH = ROOT.parent / "shared" / "data" / "inkbench-loc-typewritten"
SAMPLE = ROOT / "samples" / "moscow-04648" / "scans"
FONT = Path("/usr/share/fonts/opentype/urw-base35/NimbusMonoPS-Regular.otf")


@dataclass(frozen=True)
class Candidate:
    """A preprocessing + OCR setting to measure."""

    name: str
    steps: tuple[str, ...]
    psm: int = OcrConfig().psm
    retry_below: float = 0.0
    params: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()
    """Step parameter overrides as nested pairs (hashable)."""
    invert_check: bool = OcrConfig().invert_check
    engine: str = OcrConfig().engine
    ocr: tuple[tuple[str, Any], ...] = ()
    """Other ``OcrConfig`` overrides as pairs (hashable)."""


DEFAULT = Candidate("default", DEFAULT_PREPROCESS_STEPS, OcrConfig().psm, OcrConfig().retry_below)


def _default_with(name: str, **ocr: Any) -> Candidate:
    """The default setting with some ``OcrConfig`` fields overridden."""
    return Candidate(name, DEFAULT.steps, retry_below=DEFAULT.retry_below, ocr=tuple(ocr.items()))


_ANY_ANGLE = (("deskew", (("min_angle", 0.3),)),)
CANDIDATES = (
    Candidate("default without retry", DEFAULT_PREPROCESS_STEPS, retry_below=0.0),
    _default_with("default with retry psm6 instead of rules", retry_steps=(), retry_psm=6),
    _default_with("default without noise filter", noise_below=0.0),
    _default_with("default without row reading", rows_aligned=0.0),
    _default_with("default without fragment filter", fragment_below=0.0),
    _default_with("default without dash rows", dash_rows=0),
    _default_with("default without blacklist", char_blacklist=""),
    Candidate(
        "default without retry, noise filter or blacklist",
        DEFAULT_PREPROCESS_STEPS,
        retry_below=0.0,
        ocr=(("noise_below", 0.0), ("char_blacklist", "")),
    ),
    Candidate("deskew>=0.3 psm3", ("grayscale", "deskew"), 3, 0.0, _ANY_ANGLE),
    Candidate(
        "deskew>=0.3+background psm3", ("grayscale", "deskew", "background"), 3, 0.0, _ANY_ANGLE
    ),
    Candidate("deskew psm3 (no background)", ("grayscale", "deskew"), 3),
    Candidate("default + invert check", DEFAULT_PREPROCESS_STEPS, 3, 0.0, (), invert_check=True),
    Candidate(
        "deskew+background on all pages psm3",
        ("grayscale", "deskew", "background"),
        3,
        0.0,
        (("background", (("max_paper", 256.0),)),),
    ),
    Candidate("gray psm3", ("grayscale",), 3),
    Candidate("gray psm6", ("grayscale",), 6),
    Candidate("otsu psm3", ("grayscale", "otsu"), 3),
    Candidate(
        "deskew any angle psm3",
        ("grayscale", "deskew"),
        3,
        0.0,
        (("deskew", (("min_angle", 0.1),)),),
    ),
    Candidate("deskew psm6", ("grayscale", "deskew"), 6),
    Candidate("deskew psm4", ("grayscale", "deskew"), 4),
    Candidate("border+deskew psm3", ("grayscale", "border", "deskew"), 3),
    Candidate("median+otsu+deskew psm3", ("grayscale", "median", "otsu", "deskew"), 3),
    Candidate("median+otsu+deskew psm6", ("grayscale", "median", "otsu", "deskew"), 6),
    Candidate("sauvola+deskew psm3", ("grayscale", "sauvola", "deskew"), 3),
    Candidate("gaussian+sauvola+deskew psm3", ("grayscale", "gaussian", "sauvola", "deskew"), 3),
    Candidate("median+sauvola+deskew psm3", ("grayscale", "median", "sauvola", "deskew"), 3),
)


@dataclass(frozen=True)
class Page:
    """A benchmark page: image and reference text."""

    name: str
    image: str
    reference: str
    body_lines: tuple[str, ...] = ()
    """Reference lines of the cable body (sample pages), scored line by line."""


# ----------------------------------------------------------------------------- data sets


def inkbench_pages(folder: Path) -> list[Page]:
    """The InkBench pages with handwriting annotations removed from the ground truth."""
    pages = []
    for image in sorted((folder / "images").glob("*.jpg")):
        gt = folder / "gt" / f"{image.stem}.txt"
        if not gt.is_file():
            continue
        text = re.sub(r"\[\*.*?\*\]", " ", gt.read_text(encoding="utf-8"), flags=re.DOTALL)
        pages.append(Page(image.stem, str(image), text))
    return pages


def sample_pages(folder: Path, scratch: Path) -> list[Page]:
    """The rendered sample pages with truth.json, or synthetic pages when absent.

    truth.json is what ``scripts/render_sample.py`` writes: per page the image ``file`` and
    the ``lines`` drawn, each with its ``kind`` and ``text``.
    """
    truth = folder / "truth.json"
    if not truth.is_file():
        return synthetic_pages(scratch)
    pages = []
    for page in json.loads(truth.read_text(encoding="utf-8"))["pages"]:
        image = folder / page["file"]
        texts = [line["text"] for line in page["lines"]]
        body = tuple(line["text"] for line in page["lines"] if line["kind"] == "body")
        pages.append(Page(image.stem, str(image), "\n".join(texts), tuple(t for t in body if t)))
    return pages


def synthetic_pages(scratch: Path) -> list[Page]:
    """Three 300 dpi cable pages: clean, moderate (blur, noise, 1.2°) and heavy (2.5°)."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    body = [
        "CONFIDENTIAL",
        "PAGE 01 MOSCOW 04648 01 OF 02 151230Z",
        "ACTION EUR-12",
        "INFO OCT-01 ISO-00 SS-15 NSC-05 SP-02 L-03 H-02 /040 W",
        "R 151200Z APR 75",
        "FM AMEMBASSY MOSCOW",
        "TO SECSTATE WASHDC 2288",
        "INFO AMEMBASSY LONDON",
        "E.O. 11652: GDS",
        "TAGS: EAGR, UR, US",
        "SUBJECT: SOVIET GRAIN PURCHASES",
        "REF: STATE 081234",
    ]
    for n in range(1, 9):
        body += [
            f"{n}. EMBASSY OFFICERS MET WITH MINISTRY OFFICIALS ON APRIL {n + 10} TO",
            "DISCUSS THE HARVEST OUTLOOK AND THE TERMS OF THE PROPOSED LONG-TERM",
            "AGREEMENT. THE MINISTRY EXPECTS A RECORD CROP BUT ASKED FOR",
            "CLARIFICATION OF SHIPPING SCHEDULES AND PORT CAPACITY IN ODESSA.",
        ]
    body.append("STOESSEL")
    font = ImageFont.truetype(str(FONT), 50)
    rng = np.random.default_rng(7)
    pages = []
    for name, blur, angle, noise, contrast in (
        ("clean", 0.0, 0.0, 0.0, 1.0),
        ("moderate", 1.2, 1.2, 18.0, 0.7),
        ("heavy", 2.0, 2.5, 35.0, 0.45),
    ):
        page = Image.new("L", (2550, 3300), 255)
        draw = ImageDraw.Draw(page)
        for i, line in enumerate(body):
            draw.text((220, 200 + i * 60), line, fill=0, font=font)
        if angle:
            page = page.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
        if blur:
            page = page.filter(ImageFilter.GaussianBlur(blur))
        clean = np.asarray(page, dtype=np.float64)
        pixels = 255 - (255 - clean) * contrast + rng.normal(0, noise, clean.shape)
        path = scratch / f"synthetic-{name}.jpg"
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(
            path, quality=60, dpi=(300, 300)
        )
        pages.append(Page(f"synthetic-{name}", str(path), "\n".join(body)))
    return pages


# ----------------------------------------------------------------------------- runners


def run_raw(page: Page, psm: int) -> dict[str, Any]:
    """Raw Tesseract CLI on the image file, single-threaded."""
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    start = time.perf_counter()
    proc = subprocess.Popen(
        ["tesseract", page.image, "stdout", "--psm", str(psm)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    seconds = time.perf_counter() - start
    return {
        "text": out.decode("utf-8", "replace"),
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "rss_kb": usage.ru_maxrss,
    }


def _warm_up() -> None:
    """Import the OCR modules once per worker, as a long-running pipeline worker would."""
    import pipeline.ocr
    import pipeline.preprocess
    import pipeline.read  # noqa: F401

    pipeline.ocr.installed_languages()


def _worker_run(image: str, candidate: Candidate) -> dict[str, Any]:
    """Run cable-ocr on one page inside a worker process (top level: picklable)."""
    from pipeline.config import PreprocessConfig
    from pipeline.ingest import spec_for
    from pipeline.read import read_one
    from pipeline.records import PageRef

    config = PipelineConfig(
        preprocess=PreprocessConfig(
            steps=candidate.steps, params={k: dict(v) for k, v in candidate.params}
        ),
        ocr=dataclasses.replace(
            OcrConfig(),
            psm=candidate.psm,
            retry_below=candidate.retry_below,
            invert_check=candidate.invert_check,
            engine=candidate.engine,
            workers=1,
            **dict(candidate.ocr),
        ),
    )

    def cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    cpu_start = cpu()
    start = time.perf_counter()
    page = read_one(spec_for(PageRef(image, 1, 0)), config)
    seconds = time.perf_counter() - start
    cpu_seconds = cpu() - cpu_start
    text = "\n".join(" ".join(w.text for w in line) for line in page.lines())
    return {
        "text": text,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "worker_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "tesseract_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        "steps": [s.description for s in page.steps],
        "engine": next((s.settings.get("engine") for s in page.steps if s.stage == "ocr"), None),
        "words": [[w.line, w.text, w.confidence] for w in page.words],
    }


def body_score(text: str, body_lines: Sequence[str]) -> tuple[int, int]:
    """Character errors and total of each body line against its best-matching OCR line.

    Extra OCR lines (stamps, page headers) are not penalized; missing or misread body
    lines are.
    """
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    hyp = [normalize_text(line) for line in text.splitlines() if line.strip()]
    errors = total = 0
    for line in body_lines:
        ref = normalize_text(line)
        best = process.extractOne(ref, hyp, scorer=Levenshtein.distance) if hyp else None
        errors += int(best[1]) if best else len(ref)
        total += len(ref)
    return errors, total


def _row(page: Page, result: dict[str, Any]) -> dict[str, Any]:
    score = evaluate_text(result["text"], page.reference)
    row = {**dataclasses.asdict(score), **result}
    if page.body_lines:
        row["body_errors"], row["body_total"] = body_score(result["text"], page.body_lines)
    return row


def benchmark(
    pages: Sequence[Page],
    candidates: Sequence[Candidate],
    raw: bool = True,
    raw_psms: Sequence[int] = (3, 6),
) -> dict[str, Any]:
    """Measure raw Tesseract (each of ``raw_psms``) and each candidate on every page."""
    report: dict[str, Any] = {"pages": [p.name for p in pages], "systems": {}}
    raw_psms = tuple(raw_psms) if raw else ()
    names = [f"raw tesseract psm{psm}" for psm in raw_psms]
    names += [f"cable-ocr {cand.name}" for cand in candidates]
    systems: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    # Systems run back to back on each page, so load from other processes on the machine
    # affects them alike.
    with ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=_warm_up) as pool:
        for number, page in enumerate(pages, start=1):
            if raw:
                for psm in raw_psms:
                    systems[f"raw tesseract psm{psm}"].append(_row(page, run_raw(page, psm)))
            for cand in candidates:
                result = pool.submit(_worker_run, page.image, cand).result()
                systems[f"cable-ocr {cand.name}"].append(_row(page, result))
            print(f"  {number}/{len(pages)} {page.name}", file=sys.stderr)
    for name, rows in systems.items():
        total = combine([EvalResult(**{k: r[k] for k in EvalResult.__slots__}) for r in rows])
        report["systems"][name] = {
            "total": dataclasses.asdict(total),
            "mean_page_cer": sum(r["cer"] for r in rows) / len(rows),
            "body_cer": (
                sum(r["body_errors"] for r in rows) / max(1, sum(r["body_total"] for r in rows))
                if all("body_total" in r for r in rows)
                else None
            ),
            "engines": sorted({str(r.get("engine", "cli")) for r in rows if "engine" in r}),
            "seconds_per_page": sum(r["seconds"] for r in rows) / len(rows),
            "cpu_seconds_per_page": sum(r["cpu_seconds"] for r in rows) / len(rows),
            "peak_worker_rss_mb": max(r.get("worker_rss_kb", 0) for r in rows) / 1024,
            "peak_tesseract_rss_mb": max(
                r.get("tesseract_rss_kb", r.get("rss_kb", 0)) for r in rows
            )
            / 1024,
            "rows": rows,
        }
    return report


def print_report(title: str, report: dict[str, Any], baseline: str, focus: str) -> None:
    """Print totals per system and the per-page table for ``baseline`` vs ``focus``."""
    systems = report["systems"]
    print(f"\n== {title}: {len(report['pages'])} page(s); {focus} vs {baseline}")
    print(
        f"{'system':<40} {'CER':>7} {'WER':>7} {'meanCER':>8} {'bodyCER':>8} {'s/page':>7} "
        f"{'cpu s':>6} {'RSS MB':>7}"
    )
    for name, s in systems.items():
        # The two never peak together: a child's peak includes the pages it shared with
        # the worker between fork and exec, so their sum would count the worker twice.
        rss = max(s["peak_worker_rss_mb"], s["peak_tesseract_rss_mb"])
        body = "-" if s["body_cer"] is None else f"{s['body_cer']:.4f}"
        print(
            f"{name:<40} {s['total']['cer']:7.4f} {s['total']['wer']:7.4f} "
            f"{s['mean_page_cer']:8.4f} {body:>8} {s['seconds_per_page']:7.2f} "
            f"{s['cpu_seconds_per_page']:6.2f} {rss:7.0f}"
        )
    if baseline not in systems or focus not in systems:
        return
    base, mine = systems[baseline], systems[focus]
    ratio = mine["total"]["cer"] / base["total"]["cer"] if base["total"]["cer"] else 0.0
    time_ratio = mine["seconds_per_page"] / base["seconds_per_page"]
    cpu_ratio = mine["cpu_seconds_per_page"] / base["cpu_seconds_per_page"]
    print(
        f"\n{focus} vs {baseline}: CER ratio {ratio:.3f}, wall time ratio {time_ratio:.3f}, "
        f"CPU time ratio {cpu_ratio:.3f}"
    )
    # The two halves show how much the ratio depends on which pages are measured: a setting
    # chosen on one half should hold on the other (a rough guard against fitting the benchmark).
    for label, start in (("even", 0), ("odd", 1)):
        part = [(b, m) for b, m in list(zip(base["rows"], mine["rows"], strict=True))[start::2]]
        errors = sum(m["char_errors"] for _, m in part)
        base_errors = sum(b["char_errors"] for b, _ in part)
        total = sum(b["char_total"] for b, _ in part)
        print(
            f"  {label} pages ({len(part)}): CER {base_errors / max(1, total):.4f} -> "
            f"{errors / max(1, total):.4f}, ratio {errors / max(1, base_errors):.3f}"
        )
    print(
        f"{'page':<24} {'chars':>6} {'base CER':>9} {'CER':>7} {'delta':>7} {'base s':>7} "
        f"{'s':>6} {'base cpu':>8} {'cpu':>6}"
    )
    worst = 0.0
    page_ratios = []
    for name, b, m in zip(report["pages"], base["rows"], mine["rows"], strict=True):
        delta = m["cer"] - b["cer"]
        worst = max(worst, delta)
        page_ratios.append(m["cpu_seconds"] / max(1e-9, b["cpu_seconds"]))
        print(
            f"{name:<24} {b['char_total']:6d} {b['cer']:9.4f} {m['cer']:7.4f} {delta:+7.4f} "
            f"{b['seconds']:7.2f} {m['seconds']:6.2f} {b['cpu_seconds']:8.2f} "
            f"{m['cpu_seconds']:6.2f}"
        )
    print(f"worst page delta vs baseline: {worst:+.4f} CER")
    print(
        f"per-page CPU time ratio: mean {sum(page_ratios) / len(page_ratios):.3f}, "
        f"max {max(page_ratios):.3f}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["inkbench", "sample", "both"], default="both")
    parser.add_argument("--inkbench", type=Path, default=INKBENCH)
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    parser.add_argument("--pages", type=int, default=0, help="use only the first N pages")
    parser.add_argument("--candidates", action="store_true", help="also measure alternatives")
    parser.add_argument("--only", default="", help="comma-separated candidate names to run")
    parser.add_argument("--no-raw", action="store_true", help="skip the raw Tesseract runs")
    parser.add_argument("--baseline", default="raw tesseract psm3")
    parser.add_argument(
        "--engines",
        default="cli,tesserocr",
        help="comma-separated OCR engines to measure the default setting with "
        "(cli, tesserocr, auto); other candidates use the first",
    )
    parser.add_argument(
        "--raw-psms", default="3,6", help="comma-separated psm values for raw tesseract"
    )
    parser.add_argument("--json", type=Path, help="write the full results here")
    args = parser.parse_args(argv)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if "tesserocr" in engines:
        from pipeline.ocr import tesserocr_available

        if not tesserocr_available():
            print("tesserocr is not installed: measuring the cli engine only", file=sys.stderr)
            engines = [e for e in engines if e != "tesserocr"] or ["cli"]
    candidates: list[Candidate] = [DEFAULT]
    if args.candidates:
        candidates += list(CANDIDATES)
    if args.only:
        wanted = {n.strip() for n in args.only.split(",")}
        candidates = [c for c in [DEFAULT, *CANDIDATES] if c.name in wanted]
    candidates = [dataclasses.replace(c, engine=engines[0]) for c in candidates]
    focus = []
    if candidates and candidates[0].name == DEFAULT.name:
        candidates[0] = dataclasses.replace(DEFAULT, name=f"default [{engines[0]}]")
        focus = [
            dataclasses.replace(DEFAULT, name=f"default [{engine}]", engine=engine)
            for engine in engines
        ]
        candidates = [*focus, *candidates[1:]]
    raw_psms = [int(v) for v in args.raw_psms.split(",") if v.strip()]
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch:
        sets = []
        if args.dataset in ("sample", "both"):
            sets.append(("sample", sample_pages(args.sample, Path(scratch))))
        if args.dataset in ("inkbench", "both"):
            sets.append(("inkbench", inkbench_pages(args.inkbench)))
        for title, pages in sets:
            if args.pages:
                pages = pages[: args.pages]
            if not pages:
                print(f"{title}: no pages found", file=sys.stderr)
                continue
            report = benchmark(pages, candidates, raw=not args.no_raw, raw_psms=raw_psms)
            results[title] = report
            for cand in focus or candidates[:1]:
                print_report(title, report, args.baseline, f"cable-ocr {cand.name}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
