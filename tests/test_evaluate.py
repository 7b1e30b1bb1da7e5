from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.errors import InputError
from pipeline.evaluate import (
    EvalResult,
    body_of,
    cer,
    combine,
    evaluate_text,
    normalize_text,
    read_text_file,
    wer,
)


def test_normalize_unifies_quotes_dashes_and_whitespace() -> None:
    text = "\u201cSECSTATE\u201d \u2014 WASHDC\n\n  IMMEDIATE\t\ufb01le"
    assert normalize_text(text) == '"SECSTATE" - WASHDC IMMEDIATE file'
    assert normalize_text("Moscow", casefold=True) == "moscow"


def test_identical_texts_score_zero_despite_wrapping() -> None:
    result = evaluate_text("THE QUICK\nBROWN FOX", "THE QUICK BROWN   FOX\n")
    assert result.cer == 0.0 and result.wer == 0.0
    assert result.char_total == len("THE QUICK BROWN FOX")
    assert result.word_total == 4


def test_cer_and_wer_count_edits() -> None:
    # one substitution (O->0) in 10 characters, one wrong word of 2
    assert cer("HELLO W0RLD", "HELLO WORLD") == pytest.approx(1 / 11)
    assert wer("HELLO W0RLD", "HELLO WORLD") == pytest.approx(0.5)
    # an inserted word and a deleted word
    assert wer("A B C D", "A C D E") == pytest.approx(2 / 4)


def test_empty_reference() -> None:
    assert cer("", "") == 0.0
    assert cer("X", "") == 1.0


def test_case_sensitivity_is_optional() -> None:
    assert cer("moscow", "MOSCOW") == 1.0
    assert cer("moscow", "MOSCOW", casefold=True) == 0.0


def test_combine_pools_counts() -> None:
    a = EvalResult(0.1, 0.5, 1, 10, 1, 2)
    b = EvalResult(0.0, 0.0, 0, 30, 0, 6)
    total = combine([a, b])
    assert total.cer == pytest.approx(1 / 40)
    assert total.wer == pytest.approx(1 / 8)


def test_body_of_skips_header_block() -> None:
    assert body_of("HEADER 1\nHEADER 2\n\nBODY ONE\n\nBODY TWO\n") == "BODY ONE\n\nBODY TWO\n"
    assert body_of("NO BLANK LINE") == "NO BLANK LINE"


def test_read_text_file_from_folder_and_missing(tmp_path: Path) -> None:
    (tmp_path / "transcript.txt").write_text("TEXT", encoding="utf-8")
    assert read_text_file(tmp_path) == "TEXT"
    with pytest.raises(InputError, match="not found"):
        read_text_file(tmp_path / "nope.txt")


def test_cli_evaluate_body_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "transcript.txt").write_text("HEADER X\n\nTHE BODY TEXT\n", encoding="utf-8")
    ref = tmp_path / "reference.txt"
    ref.write_text("HEADER Y\n\nTHE BODY TEXT\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", str(out), str(ref), "--body-only"])
    assert exit_info.value.code == 0
    assert "CER 0.0000" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["evaluate", str(out), str(ref)])
    assert "CER 0.0000" not in capsys.readouterr().out


def test_cli_evaluate_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", str(tmp_path / "a.txt"), str(tmp_path / "b.txt")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a.txt" in err and "Traceback" not in err
