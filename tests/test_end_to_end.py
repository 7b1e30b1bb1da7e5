"""The whole pipeline on the first section (3 pages) of the rendered sample cable."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.evaluate import cer

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "moscow-04648"

pytestmark = [
    pytest.mark.tesseract,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed"),
]


@pytest.fixture(scope="module")
def section_one(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("e2e") / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline",
            "transcribe",
            str(SAMPLE / "scans" / "moscow-04648.pdf"),
            "--first-page",
            "1",
            "--last-page",
            "3",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return out


def test_header_block_and_fields(section_one: Path) -> None:
    reference_header = (SAMPLE / "reference.txt").read_text().split("\n\n")[0]
    text = (section_one / "transcript.txt").read_text()
    assert text.split("\n\n")[0] == reference_header
    data = json.loads((section_one / "transcript.json").read_text())
    assert data["header"]["cable_id"] == "MOSCOW 04648"
    assert data["header"]["dtg"] == "221518Z FEB 89"
    assert data["header"]["sections"] == 7
    assert any("section 02 of 07 missing" in w for w in data["warnings"])


def test_body_matches_the_reference(section_one: Path) -> None:
    body = (section_one / "transcript.txt").read_text().split("\n\n", 1)[1]
    # section 01 ends inside paragraph 8; the gap marker for the missing sections follows
    body = body.split("[GAP:")[0]
    reference = (SAMPLE / "reference.txt").read_text().split("\n\n", 1)[1]
    words = body.split()
    reference_prefix = " ".join(reference.split()[: len(words)])
    assert cer(" ".join(words), reference_prefix) < 0.02
    for marker in ("PAGE 02", "NATIONAL SECURITY ARCHIVE", "Cat. A", "Reviewed by"):
        assert marker not in body


def test_words_log_has_boxes_confidences_and_removed_boilerplate(section_one: Path) -> None:
    with (section_one / "words.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    kept = [r for r in rows if r["action"] != "removed"]
    removed = [r for r in rows if r["action"] == "removed"]
    assert kept and removed
    assert all(r["x"] and r["ocr_confidence"] for r in rows if r["ocr_text"])
    assert {r["zone"] for r in removed} >= {"page_header", "classification", "review_box"}
    assert {r["source_page"] for r in rows if r["source_page"]} == {"1", "2", "3"}
    assert all(0.0 <= float(r["ocr_confidence"]) <= 1.0 for r in rows if r["ocr_confidence"])
