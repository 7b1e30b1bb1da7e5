from __future__ import annotations

import shutil
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_review_support import XSS, build_image_folder, build_text_folder

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _why_skip() -> str | None:
    if shutil.which(CHROMIUM) is None:
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed (pip install playwright uvicorn)"
    return None


REASON = _why_skip()
if REASON:
    print(f"skipping browser tests: {REASON}")
pytestmark = [pytest.mark.browser, pytest.mark.skipif(REASON is not None, reason=REASON or "")]


@pytest.fixture()
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path, Path]]:
    import uvicorn

    from pipeline.review.session import ReviewSession
    from pipeline.review.webapp import create_app

    monkeypatch.setenv("CABLE_OCR_HOME", str(tmp_path / "home"))
    one, two = build_image_folder(tmp_path, "one"), build_text_folder(tmp_path, "two")
    app = create_app(ReviewSession([one, two], "ann"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    web = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=web.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(100):
        if web.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/", one, two
    web.should_exit = True
    thread.join(timeout=10)
    sock.close()


def test_review_in_chromium(server: tuple[str, Path, Path]) -> None:
    from playwright.sync_api import Dialog, expect, sync_playwright

    url, one, two = server
    dialogs: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()

        def on_dialog(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(url)
        expect(page.locator("#crop")).to_be_visible()
        page.wait_for_timeout(300)
        assert page.evaluate("document.getElementById('crop').naturalWidth") > 150
        assert page.text_content("#ocr") == XSS  # rendered as text, not markup
        assert page.text_content("#progress") == "0 of 10 decided"

        # next-item latency: data in memory, crops prefetched
        page.wait_for_timeout(300)
        page.evaluate("window.reviewTimings.length = 0")
        for _ in range(9):
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(150)
        timings = page.evaluate("window.reviewTimings")
        assert len(timings) == 9
        print(
            f"\nnext-item latency over {len(timings)} moves: median "
            f"{statistics.median(timings):.1f} ms, max {max(timings):.1f} ms"
        )
        assert max(timings) < 200
        page.locator("#queue-list li").first.click()
        assert page.text_content("#position") == "1 / 10"

        def act(key: str) -> None:
            with page.expect_response("**/api/decide") as response:
                page.keyboard.press(key)
            assert response.value.status == 200, response.value.text()
            assert errors == []

        # 1: image word 3 -> edit
        page.keyboard.press("e")
        page.fill("#edit-text", "SCRIPT")
        act("Enter")
        # 2: text word 3 (no image: line text with the word highlighted) -> reject
        assert page.is_visible("#line-text") and not page.is_visible("#crop-box")
        assert page.text_content("#line-word") == XSS
        act("r")
        # 3: image MOSCW -> approve
        assert page.text_content("#ocr") == "MOSCW" and page.is_visible("#crop-box")
        act("a")
        # 4: text MOSCW -> first alternative
        assert page.text_content("#alternatives") == "MOSCAMOSS"
        act("1")
        # 5: image UNGA -> reject; 6: text UNGA -> skip
        act("r")
        act("s")
        # 7: TEH -> approve every identical case (3 more across both folders)
        assert page.text_content("#identical") == "3"
        page.check("#all-identical")
        act("a")
        expect(page.locator("#progress")).to_have_text("9 of 10 decided")
        page.click("#apply")
        expect(page.locator("#message")).to_contain_text("applied:", timeout=20000)
        page.goto(url + "audit")
        rows = page.locator("tbody tr").count()
        assert page.locator("tbody").inner_text().count(XSS) == 3  # two OCR texts, one reject
        browser.close()

    assert dialogs == []
    assert rows == 10
    text_one = (one / "transcript.txt").read_text(encoding="utf-8").strip()
    assert text_one == "1. MOSCOW REPORTS SCRIPT THAT THE UNGA SESSION THE ENDS"
    text_two = (two / "transcript.txt").read_text(encoding="utf-8").strip()
    assert text_two == f"1. MOSCA REPORTS {XSS} THAT THE UNGAR SESSION THE ENDS"
