"""Builders of small reviewed output folders shared by the review tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

from pipeline.outputs import write_outputs
from pipeline.records import (
    Action,
    Box,
    PageInfo,
    PageRef,
    Source,
    Transcript,
    TranscriptWord,
    Zone,
)

XSS = "<script>alert(1)</script>"

# (ocr_text, final_text, action, posterior, alternatives, line)
WORDS: list[tuple[str, str, Action, float | None, tuple[str, ...], int]] = [
    ("1.", "1.", Action.KEPT, None, (), 0),
    ("MOSCW", "MOSCOW", Action.FLAGGED, 0.40, ("MOSCA", "MOSS"), 0),
    ("REPORTS", "REPORTS", Action.KEPT, None, (), 0),
    (XSS, "SCRIPT", Action.FLAGGED, 0.30, ("SCRIPTS",), 0),
    ("THAT", "THAT", Action.KEPT, None, (), 1),
    ("TEH", "THE", Action.FLAGGED, 0.60, ("TEN", "TEA"), 1),
    ("UNGA", "UNGAR", Action.FLAGGED, 0.50, ("UNGA",), 1),
    ("SESSION", "SESSION", Action.KEPT, None, (), 1),
    ("TEH", "THE", Action.FLAGGED, 0.70, ("TEN",), 2),
    ("ENDS", "ENDS", Action.KEPT, None, (), 2),
]


def make_page(path: Path) -> list[Box]:
    """Draw the words on a white page image and return their boxes."""
    image = Image.new("L", (640, 160), 255)
    draw = ImageDraw.Draw(image)
    boxes = []
    x_by_line: dict[int, int] = {}
    for ocr, _final, _action, _post, _alts, line in WORDS:
        x = x_by_line.get(line, 20)
        y = 20 + 45 * line
        text = ocr if ocr != XSS else "SCRlPT"
        left, top, right, bottom = (round(v) for v in draw.textbbox((x, y), text))
        draw.text((x, y), text, fill=0)
        boxes.append(Box(left, top, right - left, bottom - top))
        x_by_line[line] = right + 18
    image.save(path, dpi=(300, 300))
    return boxes


def build_transcript(source: str, boxes: list[Box] | None) -> Transcript:
    """A transcript whose page is ``source`` (an image with ``boxes``, or a text file)."""
    ref = PageRef(source, 1, 0)
    words = []
    for i, (ocr, final, action, post, alts, line) in enumerate(WORDS):
        words.append(
            TranscriptWord(
                index=i,
                page=ref,
                line=line,
                box=None if boxes is None else boxes[i],
                ocr_text=ocr,
                ocr_confidence=None if boxes is None else 0.8,
                final_text=final,
                zone=Zone.BODY,
                action=action,
                source=Source.DICTIONARY if action is Action.FLAGGED else Source.NONE,
                posterior=post,
                alternatives=alts,
                paragraph=0,
            )
        )
    width, height = (640, 160) if boxes is not None else (0, 0)
    return Transcript(words=tuple(words), pages=(PageInfo(ref, width, height, 300),))


def build_image_folder(root: Path, name: str = "out") -> Path:
    """An output folder for a one-page PNG scan; returns the folder."""
    root.mkdir(parents=True, exist_ok=True)
    page = root / f"{name}-page.png"
    boxes = make_page(page)
    out = root / name
    write_outputs(build_transcript(str(page), boxes), out, ["txt", "json", "csv"])
    return out


def build_text_folder(root: Path, name: str = "text-out") -> Path:
    """An output folder for a text transcript input (no page image)."""
    root.mkdir(parents=True, exist_ok=True)
    source = root / f"{name}.txt"
    source.write_text(" ".join(w[0] for w in WORDS) + "\n", encoding="utf-8")
    out = root / name
    write_outputs(build_transcript(str(source), None), out, ["txt", "json", "csv"])
    return out


def build_many(root: Path, count: int, name: str = "many") -> Path:
    """An output folder with ``count`` flagged words (text input)."""
    ref = PageRef(str(root / f"{name}.txt"), 1, 0)
    words = tuple(
        TranscriptWord(
            index=i,
            page=ref,
            line=i // 10,
            box=None,
            ocr_text=f"W{i}X",
            ocr_confidence=None,
            final_text=f"W{i}",
            zone=Zone.BODY,
            action=Action.FLAGGED,
            source=Source.DICTIONARY,
            posterior=(i % 97) / 100,
            paragraph=0,
        )
        for i in range(count)
    )
    out = root / name
    write_outputs(Transcript(words=words, pages=(PageInfo(ref),)), out, ["txt", "json", "csv"])
    return out


def race(run: Callable[[str, list[int]], None], count: int) -> None:
    """Run ``run`` for ``ann`` (indexes ascending) and ``bob`` (descending) in two threads."""
    threads = [
        threading.Thread(target=run, args=("ann", list(range(count)))),
        threading.Thread(target=run, args=("bob", list(range(count - 1, -1, -1)))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
