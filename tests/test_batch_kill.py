"""``kill -9`` in the middle of a batch, then a rerun: same outputs as an uninterrupted run."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from test_batch_runner import output_files

from pipeline.batch.manifest import MANIFEST_NAME, Manifest
from pipeline.batch.runner import TMP_NAME

REPO = Path(__file__).resolve().parents[1]
SEED = 20261127
FILES = ["transcript.json", "transcript.txt", "words.csv"]


def _cable(number: int) -> str:
    return (
        "CONFIDENTIAL\n"
        f"PAGE 01 MOSCOW {4640 + number:05d} 01 OF 01 151230Z\n"
        f"SUBJECT: TOPIC NUMBER {number}\n"
        f"1. THE EMBASSY REPORTS ON TOPIC {number} AND ITS OUTLOOK.\n"
    )


def _lines(page: int, number: str) -> tuple[str, ...]:
    return (
        "CONFIDENTIAL",
        f"PAGE {page:02d} STATE {number} 01 OF 01 151230Z",
        "SUBJECT: SOVIET GRAIN PURCHASES",
        "1. EMBASSY OFFICERS MET WITH MINISTRY OFFICIALS",
        "TODAY TO DISCUSS THE HARVEST OUTLOOK.",
    )


def _batch(arch: Path, out: Path, *, quiet: bool = True) -> list[str]:
    command = [sys.executable, "-m", "pipeline", "batch", str(arch), "--out", str(out)]
    return [*command, "--workers", "2", *(["--quiet"] if quiet else [])]


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _descendants(pid: int) -> list[int]:
    procs = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]
    parents = {p: _parent_of(p) for p in procs}
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        children = [child for child, parent in parents.items() if parent == current]
        found.extend(children)
        frontier.extend(children)
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _all_gone(pids: list[int], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while any(_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _archive(arch: Path, make_page: Callable[..., Path]) -> int:
    for number in range(5):
        path = arch / f"box{number % 2}" / f"cable{number}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_cable(number), encoding="utf-8")
    make_page("arch/box2/scanned-a/p1.png", _lines(1, "001111"))
    make_page("arch/box2/scanned-a/p2.png", _lines(2, "001111"))
    make_page("arch/box3/scanned-b/p1.png", _lines(1, "002222"))
    return 7


@pytest.mark.usefixtures("needs_tesseract")
def test_kill_9_then_rerun_equals_clean_run(tmp_path: Path, make_page: Callable[..., Path]) -> None:
    arch = tmp_path / "arch"
    cables = _archive(arch, make_page)

    out = tmp_path / "out"
    rng = random.Random(SEED)
    for attempt in range(2):  # two crashes at random moments
        process = subprocess.Popen(
            _batch(arch, out, quiet=False), cwd=REPO, stderr=subprocess.PIPE, text=True
        )
        if attempt == 0:  # mid-run: after the first cable is finished
            assert process.stderr is not None
            for line in process.stderr:
                if line.startswith("done "):
                    break
            time.sleep(rng.uniform(0.0, 0.5))
        else:  # anywhere, start-up included
            time.sleep(rng.uniform(0.2, 2.0))
        children = _descendants(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait()
        if process.stderr is not None:
            process.stderr.close()
        # the worker processes do not outlive the killed batch
        assert _all_gone(children, timeout=10.0), children
        # nothing half-written is visible: an output folder is complete or absent
        for transcript in out.rglob("transcript.txt"):
            if TMP_NAME not in transcript.parts:
                assert sorted(p.name for p in transcript.parent.iterdir()) == FILES

    done_before = 0
    if (out / MANIFEST_NAME).exists():
        with Manifest(out / MANIFEST_NAME) as manifest:
            done_before = sum(1 for s in manifest.states().values() if s == "done")

    print(f"cables done before the rerun: {done_before} of {cables}")
    assert done_before >= 1  # the first kill came after a cable was finished
    rerun = subprocess.run(_batch(arch, out), cwd=REPO, capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{cables - done_before} done, {done_before} up to date, 0 failed" in rerun.stdout
    assert not (out / TMP_NAME).exists()
    with Manifest(out / MANIFEST_NAME) as manifest:
        assert set(manifest.states().values()) == {"done"}
        assert len(manifest.states()) == cables

    clean = tmp_path / "clean"
    first = subprocess.run(
        _batch(arch, clean), cwd=REPO, capture_output=True, text=True, check=False
    )
    assert first.returncode == 0, first.stderr
    resumed, expected = output_files(out), output_files(clean)
    assert len(expected) == cables * len(FILES)
    assert sorted(resumed) == sorted(expected)
    for name in expected:
        assert resumed[name] == expected[name], name


@pytest.mark.usefixtures("needs_tesseract")
def test_ctrl_c_keeps_finished_work(tmp_path: Path, make_page: Callable[..., Path]) -> None:
    arch = tmp_path / "arch"
    cables = _archive(arch, make_page)
    out = tmp_path / "out"
    process = subprocess.Popen(
        _batch(arch, out, quiet=False),
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,  # a background test runner may have SIGINT ignored
    )
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith("done "):
            break
    children = _descendants(process.pid)
    process.send_signal(signal.SIGINT)
    rest = process.stderr.read()
    assert process.wait(timeout=30) == 130, rest
    assert rest.strip().splitlines()[-1].startswith("cable-ocr: error: interrupted"), rest
    assert _all_gone(children, timeout=10.0)
    with Manifest(out / MANIFEST_NAME) as manifest:
        states = manifest.states()
    assert "running" not in states.values()
    done = sum(1 for state in states.values() if state == "done")
    assert done >= 1
    summary = (out / "batch-summary.json").read_text(encoding="utf-8")
    assert f'"done": {done}' in summary
    rerun = subprocess.run(_batch(arch, out), cwd=REPO, capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{cables - done} done, {done} up to date, 0 failed" in rerun.stdout
