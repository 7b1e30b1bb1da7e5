from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.errors import OutputError
from pipeline.outputs import check_output_dir, write_outputs
from pipeline.records import PageRef, Transcript, TranscriptWord, Zone


def tiny() -> Transcript:
    word = TranscriptWord(0, PageRef("c.txt", 1, 0), 0, None, "HELLO", None, "HELLO", Zone.BODY)
    return Transcript(words=(word,))


def test_files_of_formats_not_written_again_are_removed(tmp_path: Path) -> None:
    (tmp_path / "alto.xml").write_text("<old/>")
    (tmp_path / "notes.txt").write_text("mine")
    write_outputs(tiny(), tmp_path, ("txt", "csv"))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["notes.txt", "transcript.txt", "words.csv"]


def test_a_failed_rendering_leaves_the_folder_unchanged(tmp_path: Path) -> None:
    (tmp_path / "transcript.txt").write_text("old\n")
    with pytest.raises(Exception, match="format"):
        write_outputs(tiny(), tmp_path, ("txt", "docx"))
    assert (tmp_path / "transcript.txt").read_text() == "old\n"


def test_output_folder_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        check_output_dir(blocker / "out")
    check_output_dir(tmp_path / "new" / "deeper")


def test_unwritable_output_is_refused_before_any_page_is_read(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    src = tmp_path / "c.txt"
    src.write_text("HELLO\n")
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "transcribe", str(src), "--out", str(blocker), "-q"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 5
    assert "page 1/1" not in result.stderr
    assert result.stderr.count("\n") == 1
