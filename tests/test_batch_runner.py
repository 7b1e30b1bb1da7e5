"""run_batch and ``cable-ocr batch``: outputs, resume, failure isolation, exit codes."""

from __future__ import annotations

import csv
import dataclasses
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from pipeline.batch import run_batch
from pipeline.batch.manifest import MANIFEST_NAME, Manifest
from pipeline.batch.runner import (
    TMP_NAME,
    _interrupt_held,
    config_fingerprint,
    idle_core,
    resolve_workers,
)
from pipeline.config import CorrectionConfig, OcrConfig, OutputConfig, PipelineConfig
from pipeline.errors import (
    BadArgumentsError,
    ExitCode,
    InputError,
    MissingDependencyError,
    OutputError,
)
from pipeline.ingest import PageSpec
from pipeline.outputs import write_outputs
from pipeline.records import OcrPage, OcrWord, Transcript
from pipeline.workers import default_workers

REPO = Path(__file__).resolve().parents[1]
TEXT_ONLY = PipelineConfig(output=OutputConfig(formats=("txt", "json", "csv")))


def cable_text(post: str, number: str, subject: str) -> str:
    return (
        "CONFIDENTIAL\n"
        f"PAGE 01 {post} {number} 01 OF 01 151230Z\n"
        f"SUBJECT: {subject}\n"
        f"1. THE EMBASSY REPORTS ON {subject} TODAY.\n"
        "STOESSEL\n"
    )


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def text_archive(root: Path, count: int = 3) -> Path:
    for i in range(count):
        write(
            root / f"box{i % 2}" / f"folder{i}" / f"cable{i}.txt",
            cable_text("MOSCOW", f"0{4640 + i}", f"TOPIC {i}"),
        )
    return root


def summary_rows(out: Path) -> dict[str, dict[str, str]]:
    with (out / "batch-summary.csv").open(encoding="utf-8") as handle:
        return {row["cable"]: row for row in csv.DictReader(handle)}


def output_files(out: Path) -> dict[str, bytes]:
    skip = {"batch-summary.json", "batch-summary.csv"}
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not p.name.startswith(".") and p.name not in skip
    }


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "batch", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )


# top-level page readers (worker processes import them from this module)


def crashing_read(spec: PageSpec, config: PipelineConfig) -> OcrPage:
    if "crash" in Path(spec.ref.source).name:
        os._exit(3)  # a native crash: the worker process dies
    from pipeline.read import read_one

    return read_one(spec, config)


def raising_read(spec: PageSpec, config: PipelineConfig) -> OcrPage:
    if "boom" in Path(spec.ref.source).name:
        raise RuntimeError("simulated bug")
    from pipeline.read import read_one

    return read_one(spec, config)


def metadata_read(spec: PageSpec, config: PipelineConfig) -> OcrPage:
    """Read a page's text from the PNG's ``lines`` text chunk instead of running OCR."""
    from PIL import Image

    with Image.open(spec.ref.source) as image:
        text = image.info["lines"]
    words = tuple(
        OcrWord(token, 0.95, None, number)
        for number, line in enumerate(text.splitlines())
        for token in line.split()
    )
    return OcrPage(spec.ref, words)


def test_mirrored_outputs_summary_and_resume(tmp_path: Path) -> None:
    arch = text_archive(tmp_path / "arch")
    out = tmp_path / "out"
    report = run_batch(arch, out, TEXT_ONLY, workers=2)
    assert report.exit_code == ExitCode.OK
    assert report.count("done") == 3
    for i in range(3):
        folder = out / f"box{i % 2}" / f"folder{i}" / f"cable{i}"
        assert sorted(p.name for p in folder.iterdir()) == [
            "transcript.json",
            "transcript.txt",
            "words.csv",
        ]
        assert f"TOPIC {i}" in (folder / "transcript.txt").read_text(encoding="utf-8")
    rows = summary_rows(out)
    assert set(rows) == {"box0/folder0/cable0", "box1/folder1/cable1", "box0/folder2/cable2"}
    row = rows["box0/folder0/cable0"]
    assert row["input"] == "box0/folder0/cable0.txt"
    assert (row["pages"], row["status"], row["error"]) == ("1", "done", "")
    assert int(row["words"]) > 10
    summary = json.loads((out / "batch-summary.json").read_text(encoding="utf-8"))
    assert summary["counts"] == {"done": 3, "skipped": 0, "failed": 0, "duplicate": 0}
    assert 1 <= len(summary["worker_peak_rss_mb"]) <= 2
    assert all(mb > 10 for mb in summary["worker_peak_rss_mb"])  # VmHWM read by each worker
    assert not (out / TMP_NAME).exists()
    before = {p: p.stat().st_mtime_ns for p in out.rglob("transcript.txt")}

    again = run_batch(arch, out, TEXT_ONLY, workers=2)
    assert again.count("skipped") == 3 and again.pages_read == 0
    assert {p: p.stat().st_mtime_ns for p in out.rglob("transcript.txt")} == before

    forced = run_batch(arch, out, TEXT_ONLY, workers=1, force=True)
    assert forced.count("done") == 3 and forced.pages_read == 3


def test_changed_input_or_config_is_redone(tmp_path: Path) -> None:
    arch = text_archive(tmp_path / "arch")
    out = tmp_path / "out"
    run_batch(arch, out, TEXT_ONLY, workers=1)
    changed = arch / "box1" / "folder1" / "cable1.txt"
    write(changed, cable_text("MOSCOW", "04641", "NEW SUBJECT"))
    os.utime(arch / "box0" / "folder0" / "cable0.txt")  # touched only: content unchanged
    report = run_batch(arch, out, TEXT_ONLY, workers=1)
    statuses = {r.cable: r.status for r in report.results}
    assert statuses == {
        "box0/folder0/cable0": "skipped",
        "box1/folder1/cable1": "done",
        "box0/folder2/cable2": "skipped",
    }
    assert "NEW SUBJECT" in (out / "box1/folder1/cable1/transcript.txt").read_text()
    txt_only = PipelineConfig(output=OutputConfig(formats=("txt",)))
    report = run_batch(arch, out, txt_only, workers=1)
    assert report.count("done") == 3
    assert sorted(p.name for p in (out / "box1/folder1/cable1").iterdir()) == ["transcript.txt"]


def test_duplicate_cable_processed_once(tmp_path: Path) -> None:
    arch = text_archive(tmp_path / "arch", 2)
    shutil.copy(arch / "box0/folder0/cable0.txt", arch / "zz-copy.txt")
    out = tmp_path / "out"
    report = run_batch(arch, out, TEXT_ONLY, workers=1)
    assert report.exit_code == ExitCode.OK
    rows = summary_rows(out)
    assert rows["zz-copy"]["status"] == "duplicate"
    assert rows["zz-copy"]["error"] == "same content as box0/folder0/cable0.txt"
    assert not (out / "zz-copy").exists()
    assert report.pages_read == 2


def _encrypted_pdf(path: Path) -> Path | None:
    from PIL import Image

    if shutil.which("qpdf") is None:
        return None
    plain = path.with_suffix(".plain.pdf")
    Image.new("L", (300, 300), 255).save(plain)
    subprocess.run(
        ["qpdf", "--encrypt", "user", "owner", "256", "--", str(plain), str(path)], check=True
    )
    plain.unlink()
    return path


def test_bad_files_fail_alone_exit_6(tmp_path: Path) -> None:
    arch = text_archive(tmp_path / "arch", 2)
    write(arch / "bad" / "empty.pdf", b"")
    write(arch / "bad" / "corrupt.pdf", b"%PDF-1.4\n1 0 obj << broken")
    write(arch / "bad" / "latin1.txt", "caf\xe9".encode("latin-1"))
    encrypted = _encrypted_pdf(arch / "bad" / "locked.pdf")
    out = tmp_path / "out"
    report = run_batch(arch, out, TEXT_ONLY, workers=2)
    assert report.exit_code == ExitCode.PARTIAL_FAILURE
    rows = summary_rows(out)
    assert rows["bad/empty"]["status"] == "failed"
    assert "empty (0 bytes)" in rows["bad/empty"]["error"]
    assert "corrupt" in rows["bad/corrupt"]["error"]
    assert "UTF-8" in rows["bad/latin1"]["error"]
    if encrypted is not None:
        assert "encrypted" in rows["bad/locked"]["error"]
    assert rows["box0/folder0/cable0"]["status"] == "done"
    assert not (out / "bad").exists()
    states = Manifest(out / MANIFEST_NAME).states()
    assert states["bad/empty.pdf"] == "failed"
    assert states["box1/folder1/cable1.txt"] == "done"


def test_all_failed_exit_8(tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    write(arch / "a.pdf", b"")
    write(arch / "b.pdf", b"not a pdf at all")
    report = run_batch(arch, tmp_path / "out", TEXT_ONLY, workers=1)
    assert report.exit_code == ExitCode.ALL_FAILED


def test_disk_full_fails_one_cable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    arch = text_archive(tmp_path / "arch")
    real = write_outputs

    def full_for_cable1(transcript: Transcript, out_dir: Path, formats: Sequence[str]) -> object:
        if transcript.pages and "cable1" in transcript.pages[0].ref.source:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(transcript, out_dir, formats)

    monkeypatch.setattr("pipeline.batch.runner.write_outputs", full_for_cable1)
    out = tmp_path / "out"
    report = run_batch(arch, out, TEXT_ONLY, workers=2)
    assert report.exit_code == ExitCode.PARTIAL_FAILURE
    rows = summary_rows(out)
    assert (rows["box1/folder1/cable1"]["status"], rows["box1/folder1/cable1"]["error"]) == (
        "failed",
        "disk full",
    )
    assert rows["box0/folder0/cable0"]["status"] == "done"
    assert not (out / "box1" / "folder1" / "cable1").exists()
    assert not (out / TMP_NAME).exists()
    monkeypatch.setattr("pipeline.batch.runner.write_outputs", real)
    retry = run_batch(arch, out, TEXT_ONLY, workers=1)  # space freed: only the failed one redone
    assert {r.cable: r.status for r in retry.results}["box1/folder1/cable1"] == "done"
    assert retry.count("skipped") == 2


def test_half_written_output_is_not_counted(tmp_path: Path) -> None:
    arch = text_archive(tmp_path / "arch", 2)
    out = tmp_path / "out"
    run_batch(arch, out, TEXT_ONLY, workers=1)
    # simulate a crash: cable1 was being redone, a stale temp folder and a torn output remain
    with Manifest(out / MANIFEST_NAME) as manifest:
        manifest.plan("box1/folder1/cable1.txt", "text", "x", "y", "z")
        manifest.mark_running("box1/folder1/cable1.txt")
    write(out / TMP_NAME / "deadbeef" / "0" / "transcript.txt", "half")
    torn = out / "box1" / "folder1" / "cable1"
    (torn / "words.csv").unlink()
    report = run_batch(arch, out, TEXT_ONLY, workers=1)
    statuses = {r.cable: r.status for r in report.results}
    assert statuses == {"box0/folder0/cable0": "skipped", "box1/folder1/cable1": "done"}
    assert (torn / "words.csv").is_file()
    assert not (out / TMP_NAME).exists()
    # an output folder deleted by hand is noticed too
    shutil.rmtree(out / "box0")
    report = run_batch(arch, out, TEXT_ONLY, workers=1)
    assert {r.cable: r.status for r in report.results}["box0/folder0/cable0"] == "done"


@pytest.mark.parametrize(
    ("good", "bad", "number", "page_fn", "error"),
    [
        # a worker process that dies (native crash) fails only the cable whose page killed it
        (4, "crash", "000666", crashing_read, "worker process crashed"),
        # an exception while reading a page fails only its cable
        (2, "boom", "000777", raising_read, "unexpected RuntimeError: simulated bug"),
    ],
    ids=["worker-crash", "page-exception"],
)
def test_bad_page_fails_only_its_cable(
    tmp_path: Path,
    good: int,
    bad: str,
    number: str,
    page_fn: Callable[[PageSpec, PipelineConfig], OcrPage],
    error: str,
) -> None:
    arch = text_archive(tmp_path / "arch", good)
    write(arch / f"{bad}.txt", cable_text("STATE", number, bad.upper()))
    out = tmp_path / "out"
    report = run_batch(arch, out, TEXT_ONLY, workers=2, page_fn=page_fn)
    rows = summary_rows(out)
    assert rows[bad]["status"] == "failed"
    assert error in rows[bad]["error"]
    assert report.count("done") == good
    assert report.exit_code == ExitCode.PARTIAL_FAILURE


def test_cli_exit_codes_and_plain_progress(tmp_path: Path) -> None:
    arch = text_archive(tmp_path / "arch", 2)
    ok = cli(arch, "--out", tmp_path / "out", "--workers", "2", "--formats", "txt")
    assert ok.returncode == 0, ok.stderr
    assert "2 done, 0 up to date, 0 failed" in ok.stdout
    done_lines = [line for line in ok.stderr.splitlines() if line.startswith("done ")]
    assert len(done_lines) == 2  # one plain line per cable when not on a terminal
    write(arch / "zero.pdf", b"")
    partial = cli(arch, "--out", tmp_path / "out", "--formats", "txt")
    assert partial.returncode == 6
    assert any(line.startswith("failed zero: ") for line in partial.stderr.splitlines())
    bad = tmp_path / "bad"
    write(bad / "zero.pdf", b"")
    assert cli(bad, "--out", tmp_path / "out-bad").returncode == 8


def test_unwritable_output_folder_exit_5(tmp_path: Path) -> None:
    arch = text_archive(tmp_path / "arch", 1)
    blocker = write(tmp_path / "file", "a file, not a folder")
    result = cli(arch, "--out", blocker / "out")
    assert result.returncode == 5
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("cable-ocr: error: ") and "cannot write" in lines[0]
    with pytest.raises(OutputError):
        run_batch(arch, blocker / "out", TEXT_ONLY, workers=1)


def test_empty_archive_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "arch").mkdir()
    result = cli(tmp_path / "arch", "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "no cables found" in result.stderr


@pytest.mark.usefixtures("needs_tesseract")
def test_mixed_folder_is_grouped_by_cable_id(
    tmp_path: Path, make_page: Callable[..., Path]
) -> None:
    def lines(page: int, post: str, number: str) -> tuple[str, ...]:
        return (
            "CONFIDENTIAL",
            f"PAGE {page:02d} {post} {number} 01 OF 01 151230Z",
            "SUBJECT: GRAIN PURCHASES",
            "1. EMBASSY OFFICERS MET WITH MINISTRY OFFICIALS",
        )

    make_page("arch/mixed/scan1.png", lines(1, "MOSCOW", "04648"))
    make_page("arch/mixed/scan2.png", lines(1, "STATE", "012345"))
    make_page("arch/mixed/scan3.png", lines(2, "MOSCOW", "04648"))
    out = tmp_path / "out"
    report = run_batch(tmp_path / "arch", out, TEXT_ONLY, workers=2)
    assert report.exit_code == ExitCode.OK, report.results
    rows = summary_rows(out)
    assert set(rows) == {"mixed/MOSCOW_04648", "mixed/STATE_012345"}
    assert rows["mixed/MOSCOW_04648"]["pages"] == "2"
    assert rows["mixed/STATE_012345"]["pages"] == "1"
    words = (out / "mixed" / "MOSCOW_04648" / "words.csv").read_text(encoding="utf-8")
    assert "scan1.png" in words and "scan3.png" in words and "scan2.png" not in words


def test_unwritable_cable_fails_alone_and_summary_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    arch = text_archive(tmp_path / "arch")
    real = write_outputs

    def failing(transcript: Transcript, out_dir: Path, formats: Sequence[str]) -> object:
        source = transcript.pages[0].ref.source
        if "cable0" in source:
            raise InputError("page.png: cannot reload the page image for the pdf")
        if "cable1" in source:
            raise MissingDependencyError("the pdf format needs reportlab")
        return real(transcript, out_dir, formats)

    monkeypatch.setattr("pipeline.batch.runner.write_outputs", failing)
    out = tmp_path / "out"
    report = run_batch(arch, out, TEXT_ONLY, workers=2)
    assert report.exit_code == ExitCode.PARTIAL_FAILURE
    rows = summary_rows(out)
    assert (
        rows["box0/folder0/cable0"]["error"] == "page.png: cannot reload the page image for the pdf"
    )
    assert rows["box1/folder1/cable1"]["error"] == "the pdf format needs reportlab"
    assert rows["box0/folder2/cable2"]["status"] == "done"
    assert not (out / "box0" / "folder0" / "cable0").exists()
    states = Manifest(out / MANIFEST_NAME).states()
    assert states["box0/folder0/cable0.txt"] == "failed"
    assert states["box0/folder2/cable2.txt"] == "done"
    assert not (out / TMP_NAME).exists()


def test_missing_pdf_library_fails_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    arch = text_archive(tmp_path / "arch", 1)
    monkeypatch.setitem(sys.modules, "reportlab", None)  # import reportlab now fails
    pdf = PipelineConfig(output=OutputConfig(formats=("txt", "pdf")))
    with pytest.raises(MissingDependencyError, match="reportlab"):
        run_batch(arch, tmp_path / "out", pdf, workers=1)
    assert not (tmp_path / "out").exists()


def test_fingerprint_follows_version_dictionaries_and_review_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("CABLE_OCR_HOME", str(home))
    dictionaries = tmp_path / "dicts"
    lexicon = write(dictionaries / "lexicon.pkl.gz", b"one")
    config = PipelineConfig(correction=CorrectionConfig(dictionaries_dir=str(dictionaries)))
    seen = {config_fingerprint(config)}

    def changed() -> bool:
        value = config_fingerprint(config)
        new = value not in seen
        seen.add(value)
        return new

    write(home / "user_words.txt", "NEWWORD\n")  # review apply taught a word
    assert changed()
    write(home / "protected.txt", "KEEPME\n")
    assert changed()
    write(lexicon, b"rebuilt dictionary")
    assert changed()
    monkeypatch.setattr("importlib.metadata.version", lambda name: "99.0")
    assert changed()
    assert not changed()
    other_workers = dataclasses.replace(config, ocr=dataclasses.replace(config.ocr, workers=7))
    assert config_fingerprint(other_workers) == config_fingerprint(config)
    plain = dataclasses.replace(config, correction=CorrectionConfig(enabled=False))
    before = config_fingerprint(plain)
    write(home / "user_words.txt", "NEWWORD\nOTHER\n")
    assert config_fingerprint(plain) == before  # without correction the word lists do not matter


def test_review_taught_words_redo_cables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CABLE_OCR_HOME", str(tmp_path / "home"))
    arch = text_archive(tmp_path / "arch", 2)
    out = tmp_path / "out"
    run_batch(arch, out, TEXT_ONLY, workers=1)
    assert run_batch(arch, out, TEXT_ONLY, workers=1).count("skipped") == 2
    write(tmp_path / "home" / "user_words.txt", "STOESSEL\n")
    assert run_batch(arch, out, TEXT_ONLY, workers=1).count("done") == 2


def _scan(path: Path, *lines: str) -> None:
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("lines", "\n".join(lines))
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("1", (400, 400), 1).save(path, pnginfo=info)


def test_regrouped_folder_leaves_no_stale_outputs(tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    out = tmp_path / "out"
    body = ("SUBJECT: GRAIN PURCHASES", "1. EMBASSY OFFICERS MET WITH MINISTRY OFFICIALS")
    _scan(arch / "mixed" / "scan1.png", "PAGE 01 MOSCOW 04648 01 OF 01", *body)
    _scan(arch / "mixed" / "scan2.png", "PAGE 02 MOSCOW 04648 01 OF 01", *body)
    report = run_batch(arch, out, TEXT_ONLY, workers=2, page_fn=metadata_read)
    assert [r.cable for r in report.results] == ["mixed"]
    assert (out / "mixed" / "transcript.txt").is_file()

    _scan(arch / "mixed" / "scan2.png", "PAGE 01 STATE 012345 01 OF 01", *body)
    report = run_batch(arch, out, TEXT_ONLY, workers=2, page_fn=metadata_read)
    assert report.exit_code == ExitCode.OK, report.results
    assert sorted(p.name for p in (out / "mixed").iterdir()) == ["MOSCOW_04648", "STATE_012345"]

    _scan(arch / "mixed" / "scan2.png", "PAGE 02 MOSCOW 04648 01 OF 01", *body)
    report = run_batch(arch, out, TEXT_ONLY, workers=2, page_fn=metadata_read)
    assert report.exit_code == ExitCode.OK, report.results
    assert sorted(p.name for p in (out / "mixed").iterdir()) == [
        "transcript.json",
        "transcript.txt",
        "words.csv",
    ]


def test_workers_default_to_config_and_zero_means_all_cores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = PipelineConfig(ocr=OcrConfig(workers=1))
    assert resolve_workers(None, one) == 1
    assert resolve_workers(3, one) == 3
    assert resolve_workers(0, one) == default_workers()
    assert resolve_workers(None, PipelineConfig()) == default_workers()
    with pytest.raises(BadArgumentsError):
        resolve_workers(-1, one)
    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    report = run_batch(text_archive(tmp_path / "arch", 2), tmp_path / "out", TEXT_ONLY, workers=0)
    assert report.count("done") == 2
    assert "OMP_THREAD_LIMIT" not in os.environ  # set in the workers only
    result = cli(tmp_path / "arch", "--out", tmp_path / "out2", "--workers", "0")
    assert result.returncode == 0, result.stderr


def test_cli_start_does_not_load_the_batch_package() -> None:
    code = "import sys, pipeline.cli; print(sorted(m for m in sys.modules if 'batch.' in m))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stdout.strip() == "[]"


def test_assembly_runs_in_the_batch_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipeline.batch.runner as runner

    ran_in: list[int] = []
    original = runner.run_assemble

    def recording(pages: Sequence[OcrPage], config: PipelineConfig) -> runner.AssembleOutcome:
        ran_in.append(os.getpid())
        return original(pages, config)

    monkeypatch.setattr(runner, "run_assemble", recording)
    report = run_batch(text_archive(tmp_path / "arch"), tmp_path / "out", TEXT_ONLY, workers=2)
    assert report.count("done") == 3
    assert ran_in == [os.getpid()] * 3
    assert os.getpid() not in report.worker_peak_rss_kb  # only page workers are listed


def test_unloadable_dictionaries_fail_each_cable_not_the_batch(tmp_path: Path) -> None:
    dictionaries = tmp_path / "dicts"
    write(dictionaries / "lexicon.pkl.gz", b"not a dictionary")
    config = dataclasses.replace(
        TEXT_ONLY, correction=CorrectionConfig(dictionaries_dir=str(dictionaries))
    )
    report = run_batch(text_archive(tmp_path / "arch", 2), tmp_path / "out", config, workers=1)
    assert [r.status for r in report.results] == ["failed", "failed"]
    assert all("dictionary is corrupt" in r.error for r in report.results)
    assert report.exit_code == ExitCode.ALL_FAILED


def test_dictionaries_load_on_a_core_the_page_workers_leave_free(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("pipeline.batch.runner.default_workers", lambda: 2)
    assert idle_core(workers=1, busy=1, pages_left=10)  # one worker on two cores
    assert not idle_core(workers=2, busy=2, pages_left=10)
    assert not idle_core(workers=2, busy=1, pages_left=3)  # a page is about to be handed out
    assert idle_core(workers=2, busy=1, pages_left=0)  # the last page: one worker is idle
    assert not idle_core(workers=2, busy=2, pages_left=0)


def test_ctrl_c_is_held_until_a_cable_is_recorded() -> None:
    steps: list[str] = []
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt), _interrupt_held():
            os.kill(os.getpid(), signal.SIGINT)
            steps.append("manifest")
            steps.append("summary")
        assert steps == ["manifest", "summary"]  # both ran; the interrupt came after
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        with _interrupt_held():  # an ignored Ctrl-C stays ignored
            os.kill(os.getpid(), signal.SIGINT)
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


def test_unknown_retry_step_fails_the_batch_before_any_page(
    tmp_path: Path, make_page: Callable[..., Path]
) -> None:
    make_page("arch/scan1.png", ("PAGE 01 MOSCOW 04648 01 OF 01 151230Z",))
    config = dataclasses.replace(TEXT_ONLY, ocr=OcrConfig(retry_steps=("sharpen",)))
    with pytest.raises(BadArgumentsError, match="sharpen"):
        run_batch(tmp_path / "arch", tmp_path / "out", config, workers=1)
    assert not (tmp_path / "out" / "batch-summary.json").exists()
