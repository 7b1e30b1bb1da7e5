from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from test_review_support import build_image_folder

from pipeline.cli import main
from pipeline.review.decisions import DecisionAction
from pipeline.review.store import DecisionStore, NewDecision

ROOT = Path(__file__).resolve().parents[1]


def _run(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    return int(exit_info.value.code or 0)


def test_apply_command_rewrites_outputs_and_teaches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CABLE_OCR_HOME", str(tmp_path / "home"))
    out = build_image_folder(tmp_path)
    store = DecisionStore(out)
    store.decide(NewDecision(1, DecisionAction.APPROVE, "MOSCW", "MOSCOW", "MOSCOW", "ann"))
    store.decide(NewDecision(6, DecisionAction.REJECT, "UNGA", "UNGAR", "UNGA", "ann"))
    store.decide(NewDecision(5, DecisionAction.EDIT, "TEH", "THE", "TEN", "ann"))
    before = (out / "transcript.txt").read_text(encoding="utf-8")
    assert "UNGAR" in before
    assert _run(["apply", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "3 decisions applied (1 approved, 1 rejected, 1 edited" in printed
    after = (out / "transcript.txt").read_text(encoding="utf-8")
    assert "MOSCOW" in after and "UNGA " in after and "UNGAR" not in after and " TEN " in after
    assert (tmp_path / "home" / "user_words.txt").read_text(encoding="utf-8") == "MOSCOW\nTEN\n"
    assert _run(["apply", str(out)]) == 0
    assert (out / "transcript.txt").read_text(encoding="utf-8") == after


def test_apply_on_a_folder_that_is_not_an_output_folder(tmp_path: Path) -> None:
    assert _run(["apply", str(tmp_path)]) == 2


def test_review_refuses_a_public_host_without_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = build_image_folder(tmp_path)
    assert _run(["review", str(out), "--host", "0.0.0.0", "--no-browser"]) == 1
    assert "add --token" in capsys.readouterr().err


def test_review_serves_on_a_free_port(tmp_path: Path) -> None:
    pytest.importorskip("uvicorn")
    out = build_image_folder(tmp_path)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "review", str(out), "--port", "0", "--no-browser"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = ""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not url:
            line = proc.stdout.readline()
            if line.startswith("open http://127.0.0.1:"):
                url = line.split()[1]
        assert url, "no URL printed"
        for _ in range(50):
            try:
                with urllib.request.urlopen(url + "api/items", timeout=5) as response:
                    data = response.read().decode("utf-8")
                break
            except OSError:
                time.sleep(0.1)
        assert '"total":5' in data
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_apply_rerenders_archive_formats_already_present(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("lxml")
    from pipeline.review.session import existing_formats

    monkeypatch.setenv("CABLE_OCR_HOME", str(tmp_path / "home"))
    out = build_image_folder(tmp_path)
    assert existing_formats(out) == ["txt", "json", "csv"]
    from pipeline.outputs import write_outputs
    from pipeline.serialize import read_transcript

    write_outputs(read_transcript(out), out, ["txt", "json", "csv", "alto"])
    assert existing_formats(out) == ["txt", "json", "csv", "alto"]
    assert "UNGAR" in (out / "alto.xml").read_text(encoding="utf-8")
    DecisionStore(out).decide(NewDecision(6, DecisionAction.REJECT, "UNGA", "UNGAR", "UNGA", "ann"))
    assert _run(["apply", str(out)]) == 0
    assert "UNGAR" not in (out / "alto.xml").read_text(encoding="utf-8")


def _transcribe_again(out: Path) -> None:
    """Write a new transcription into ``out``: same words at the same indexes but one more."""
    from dataclasses import replace

    from pipeline.outputs import write_outputs
    from pipeline.serialize import read_transcript

    transcript = read_transcript(out)
    extra = replace(transcript.words[-1], index=len(transcript.words), ocr_text="NEW")
    extra = replace(extra, final_text="NEW")
    write_outputs(
        replace(transcript, words=(*transcript.words, extra)), out, ["txt", "json", "csv"]
    )


def test_decisions_made_on_an_earlier_transcription_are_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pipeline.review.decisions import transcript_fingerprint
    from pipeline.review.session import ReviewSession
    from pipeline.serialize import read_transcript

    monkeypatch.setenv("CABLE_OCR_HOME", str(tmp_path / "home"))
    out = build_image_folder(tmp_path)
    session = ReviewSession([out], "ann")
    session.decide(0, 6, DecisionAction.REJECT)  # UNGAR -> UNGA
    session.decide(0, 1, DecisionAction.EDIT, "MOSCOU")
    _transcribe_again(out)  # the OCR text at indexes 1 and 6 is unchanged
    assert _run(["apply", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "0 decisions applied" in printed and "2 stale" in printed
    text = (out / "transcript.txt").read_text(encoding="utf-8")
    assert "UNGAR" in text and "MOSCOU" not in text and "NEW" in text
    assert not (tmp_path / "home" / "user_words.txt").exists()
    from pipeline.review.session import apply_folder

    assert apply_folder(out).summary.stale == 2

    fresh = ReviewSession([out], "bob")  # the queue of the new transcription
    data = fresh.snapshot()
    assert data["decided"] == 0 and all(i["decision"] is None for i in data["items"])
    assert fresh.decide(0, 6, DecisionAction.REJECT).decision.revision == 1  # no conflict
    before = transcript_fingerprint(read_transcript(out))
    result = fresh.apply()[0]
    assert (result.summary.rejected, result.summary.stale) == (1, 1)
    assert "UNGAR" not in (out / "transcript.txt").read_text(encoding="utf-8")
    assert transcript_fingerprint(read_transcript(out)) == before  # applying keeps it


@pytest.mark.parametrize("command", ["review", "apply"])
def test_help_ends_with_an_example(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run([command, "--help"]) == 0
    text = capsys.readouterr().out
    description = text.split("\nArguments:")[0].rstrip().splitlines()
    start = max(i for i, line in enumerate(description) if line.strip() == "Example:")
    examples = description[start + 1 :]
    assert examples and all(line.strip().startswith(f"cable-ocr {command} ") for line in examples)


def test_allowed_hosts_include_the_listening_address() -> None:
    from pipeline.cli.review import allowed_hosts, host_header

    assert host_header("::1") == "[::1]" and host_header("127.0.0.2") == "127.0.0.2"
    assert allowed_hosts("::1", None) == ["[::1]", "127.0.0.1", "localhost"]
    assert allowed_hosts("127.0.0.1", None) == ["127.0.0.1", "localhost"]
    assert allowed_hosts("0.0.0.0", "s3cret-token") is None
