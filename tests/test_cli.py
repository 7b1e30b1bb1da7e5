from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer

from pipeline.cli import app, main


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_every_command_has_help_with_an_example() -> None:
    group = typer.main.get_command(app)
    commands = group.commands  # type: ignore[attr-defined]
    assert "transcribe" in commands
    for name, command in commands.items():
        assert command.help and "Example:" in command.help, name


def test_help_runs_as_module() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "transcribe" in result.stdout


def test_unknown_option_is_bad_args_without_traceback() -> None:
    result = run("transcribe", "--no-such-option")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("cable-ocr: error:")


def test_missing_input_is_input_error(tmp_path: Path) -> None:
    result = run("transcribe", str(tmp_path / "absent.pdf"), "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert "absent.pdf" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_bad_format_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "c.txt"
    src.write_text("HELLO\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["transcribe", str(src), "--out", str(tmp_path / "o"), "--formats", "docx"])
    assert exit_info.value.code == 1
    assert "unknown output format" in capsys.readouterr().err


def test_text_input_end_to_end(tmp_path: Path) -> None:
    src = tmp_path / "cable.txt"
    src.write_text("1. THE EMBASSY HAS NO COMMENT.\n")
    out = tmp_path / "out"
    result = run("transcribe", str(src), "--out", str(out), "-q")
    assert result.returncode == 0, result.stderr
    assert "THE EMBASSY HAS NO COMMENT." in (out / "transcript.txt").read_text()
    assert (out / "words.csv").read_text().count("\n") == 1 + 6
