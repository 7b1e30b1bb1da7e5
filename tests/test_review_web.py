from __future__ import annotations

import csv
import io
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from PIL import Image  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402
from test_review_support import (  # noqa: E402
    XSS,
    build_image_folder,
    build_many,
    build_text_folder,
    race,
)

from pipeline.review.session import ReviewSession  # noqa: E402
from pipeline.review.webapp import CSRF_COOKIE, create_app  # noqa: E402

if TYPE_CHECKING:
    import httpx

BASE = "http://127.0.0.1"


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    monkeypatch.setenv("CABLE_OCR_HOME", str(path))
    return path


def _client(*folders: Path, token: str | None = None) -> TestClient:
    return TestClient(create_app(ReviewSession(list(folders), "ann"), token=token), base_url=BASE)


def _csrf(client: TestClient) -> str:
    page = client.get("/")
    assert page.status_code == 200
    match = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def _decide(client: TestClient, csrf: str, **body: object) -> httpx.Response:
    response: httpx.Response = client.post("/api/decide", json=body, headers={"X-CSRF-Token": csrf})
    return response


def test_queue_page_escapes_ocr_text_everywhere(tmp_path: Path) -> None:
    client = _client(build_image_folder(tmp_path))
    page = client.get("/")
    assert page.status_code == 200
    assert XSS not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "1 / 5" in page.text and "0 of 5 decided" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    data = client.get("/api/items").json()
    assert [i["index"] for i in data["items"]] == [3, 1, 6, 5, 8]
    assert data["items"][0]["ocr_text"] == XSS


def test_crop_is_the_words_line_from_the_page_image(tmp_path: Path) -> None:
    client = _client(build_image_folder(tmp_path))
    response = client.get("/crop/0/1.png")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    crop = Image.open(io.BytesIO(response.content)).convert("RGB")
    assert 150 < crop.width < 640 and crop.height < 60  # the whole first line, not the page
    rgb = np.asarray(crop)
    assert ((rgb[..., 0] > 180) & (rgb[..., 1] < 80) & (rgb[..., 2] < 80)).any()  # word outlined
    assert client.get("/crop/0/0.png").status_code == 404  # not a queue item
    assert client.get("/crop/1/1.png").status_code == 404  # no such folder
    assert client.get("/crop/0/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert client.get("/crop/0/1.png?path=/etc/passwd").content == response.content


def test_text_input_has_no_crop_but_line_text(tmp_path: Path) -> None:
    client = _client(build_text_folder(tmp_path))
    item = client.get("/api/items").json()["items"][1]
    assert (item["has_image"], item["crop_url"]) == (False, None)
    assert item["line_before"] == "1." and item["line_after"].startswith("REPORTS")
    assert client.get("/crop/0/1.png").status_code == 404
    page = client.get("/")
    assert 'id="line-text" class="line">' in page.text


def test_post_without_valid_csrf_token_is_refused(tmp_path: Path) -> None:
    client = _client(build_image_folder(tmp_path))
    body = {"folder": 0, "index": 1, "action": "approve"}
    assert client.post("/api/decide", json=body).status_code == 403  # no cookie, no header
    csrf = _csrf(client)
    assert client.post("/api/decide", json=body).status_code == 403  # cookie, no header
    wrong = client.post("/api/decide", json=body, headers={"X-CSRF-Token": "x" * 43})
    assert wrong.status_code == 403
    assert client.post("/api/apply", json={}).status_code == 403
    other = TestClient(client.app, base_url=BASE)  # a page without the session cookie
    assert other.post("/api/decide", json=body, headers={"X-CSRF-Token": csrf}).status_code == 403
    assert client.get("/api/items").json()["decided"] == 0
    assert _decide(client, csrf, **body).status_code == 200


def test_decide_conflict_revise_identical_apply_and_audit(tmp_path: Path, home: Path) -> None:
    one, two = build_image_folder(tmp_path, "one"), build_text_folder(tmp_path, "two")
    client = _client(one, two)
    csrf = _csrf(client)
    ok = _decide(client, csrf, folder=0, index=1, action="approve")
    assert ok.json()["decision"]["after"] == "MOSCOW"
    clash = _decide(client, csrf, folder=0, index=1, action="reject", reviewer="bob")
    assert clash.status_code == 409 and "already decided by ann" in clash.json()["error"]
    assert clash.json()["decision"]["action"] == "approve"
    assert (
        _decide(client, csrf, folder=0, index=6, action="reject", reviewer="bob").status_code == 200
    )
    same = _decide(client, csrf, folder=0, index=5, action="approve", all_identical=True)
    assert same.json()["also_stored"] == 3  # word 8 here, words 5 and 8 in the other folder
    edit = _decide(client, csrf, folder=0, index=3, action="edit", text="SCRIPTED")
    assert edit.status_code == 200
    revise = _decide(client, csrf, folder=0, index=3, action="edit", text="SCRIPT", base_revision=0)
    assert revise.json()["decision"]["revision"] == 1
    bad = _decide(client, csrf, folder=0, index=3, action="edit", text=" ", base_revision=1)
    assert bad.status_code == 400
    assert _decide(client, csrf, folder=0, index=0, action="approve").status_code == 404
    assert _decide(client, csrf, folder=0, index=1, action="destroy").status_code == 400
    assert client.get("/api/items").json()["decided"] == 7

    applied = client.post("/api/apply", headers={"X-CSRF-Token": csrf})
    assert applied.status_code == 200, applied.text
    text = (one / "transcript.txt").read_text(encoding="utf-8")
    assert text.strip() == "1. MOSCOW REPORTS SCRIPT THAT THE UNGA SESSION THE ENDS"
    rows = list(csv.DictReader((one / "words.csv").open(encoding="utf-8")))
    assert [(r["final_text"], r["action"], r["source"]) for r in rows if r["index"] in "16"] == [
        ("MOSCOW", "corrected", "reviewer"),
        ("UNGA", "kept", "reviewer"),
    ]
    assert "THE" in (two / "transcript.txt").read_text(encoding="utf-8")
    assert (home / "user_words.txt").read_text(encoding="utf-8").split() == [
        "MOSCOW",
        "THE",
        "SCRIPT",
    ]
    assert (home / "protected.txt").read_text(encoding="utf-8").split() == ["UNGA"]

    audit = client.get("/audit")
    assert audit.status_code == 200
    assert XSS not in audit.text and "&lt;script&gt;" in audit.text
    assert "SCRIPTED" in audit.text and "(replaces #" in audit.text and "bob" in audit.text


def test_access_token_query_once_then_cookie(tmp_path: Path) -> None:
    client = _client(build_image_folder(tmp_path), token="s3cret-token")
    assert client.get("/").status_code == 401
    assert client.get("/?token=wrong-token").status_code == 401
    first = client.get("/?token=s3cret-token", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/"
    assert client.get("/").status_code == 200
    assert client.get("/crop/0/1.png").status_code == 200
    assert TestClient(client.app, base_url=BASE).get("/api/items").status_code == 401


def test_unknown_host_header_is_refused(tmp_path: Path) -> None:
    client = _client(build_image_folder(tmp_path))
    assert client.get("/", headers={"host": "evil.example"}).status_code == 400


def test_two_http_clients_decide_200_items(tmp_path: Path) -> None:
    n = 200
    app = create_app(ReviewSession([build_many(tmp_path, n)], "ann"))
    results: dict[str, list[int]] = {}
    start = threading.Barrier(2)

    def run(who: str, order: list[int]) -> None:
        with TestClient(app, base_url=BASE) as client:
            csrf = _csrf(client)
            start.wait()
            won = []
            for index in order:
                r = _decide(client, csrf, folder=0, index=index, action="approve", reviewer=who)
                assert r.status_code in (200, 409)
                if r.status_code == 200:
                    won.append(index)
            results[who] = won

    race(run, n)
    items = TestClient(app, base_url=BASE).get("/api/items").json()
    who = {i["index"]: i["decision"]["reviewer"] for i in items["items"] if i["decision"]}
    lost = [i for i in results["ann"] if who.get(i) != "ann"] + [
        i for i in results["bob"] if who.get(i) != "bob"
    ]
    print(
        f"\nhttp: ann {len(results['ann'])} + bob {len(results['bob'])} accepted, "
        f"{items['decided']} stored, lost {len(lost)}"
    )
    assert len(results["ann"]) + len(results["bob"]) == n
    assert items["decided"] == n and lost == []


def test_csrf_cookie_is_httponly_and_strict(tmp_path: Path) -> None:
    client = _client(build_image_folder(tmp_path))
    header = client.get("/").headers["set-cookie"]
    assert CSRF_COOKIE in header and "HttpOnly" in header and "SameSite=strict" in header


def test_forged_csrf_cookie_and_matching_form_value_are_refused(tmp_path: Path, home: Path) -> None:
    out = build_image_folder(tmp_path)
    client = _client(out)
    forged = "A" * 43  # what a page on another localhost port can set and echo back
    client.cookies.set(CSRF_COOKIE, forged)
    form = client.post("/api/apply", data={"csrf": forged})
    assert form.status_code == 403
    header = _decide(client, forged, folder=0, index=1, action="approve")
    assert header.status_code == 403
    assert client.get("/api/items").json()["decided"] == 0
    assert not (home / "user_words.txt").exists()

    real = _csrf(client)  # the page keeps the cookie it got and shows the token that goes with it
    assert real != forged and client.cookies.get(CSRF_COOKIE) == forged
    assert _decide(client, real, folder=0, index=1, action="approve").status_code == 200
    applied = client.post("/api/apply", data={"csrf": real})
    assert applied.status_code == 200, applied.text
    assert "1 decisions applied" in applied.json()["results"][0]


def test_csrf_token_only_works_with_its_own_cookie_and_app(tmp_path: Path) -> None:
    out = build_image_folder(tmp_path)
    client = _client(out)
    csrf = _csrf(client)
    browser_id = client.cookies.get(CSRF_COOKIE)
    assert browser_id and csrf != browser_id  # the token is not the cookie echoed back
    other = _client(out)  # another server instance: another secret
    other.cookies.set(CSRF_COOKIE, browser_id)
    assert _decide(other, csrf, folder=0, index=1, action="approve").status_code == 403
    client.cookies.set(CSRF_COOKIE, "B" * 43)
    assert _decide(client, csrf, folder=0, index=1, action="approve").status_code == 403


@pytest.mark.parametrize(
    ("bound", "header"),
    [("::1", "[::1]:8765"), ("127.0.0.2", "127.0.0.2:8765"), ("0:0:0:0:0:0:0:1", "[::1]")],
)
def test_server_answers_the_loopback_address_it_listens_on(
    tmp_path: Path, bound: str, header: str
) -> None:
    from pipeline.cli.review import allowed_hosts

    session = ReviewSession([build_image_folder(tmp_path)], "ann")
    default = TestClient(create_app(session), base_url=BASE)
    assert default.get("/api/items", headers={"host": header}).status_code == 400
    client = TestClient(create_app(session, allowed_hosts=allowed_hosts(bound, None)))
    assert client.get("/api/items", headers={"host": header}).status_code == 200
    assert client.get("/", headers={"host": "127.0.0.1:8765"}).status_code == 200
    assert client.get("/", headers={"host": "localhost"}).status_code == 200
    assert client.get("/", headers={"host": "evil.example"}).status_code == 400


def test_concurrent_applies_are_serialized(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from pipeline.review import session as session_module

    real_apply = session_module.apply_folder
    running = 0
    most = 0
    guard = threading.Lock()

    def slow_apply(out_dir: Path, teach_dir: Path | None = None) -> session_module.ApplyResult:
        nonlocal running, most
        with guard:
            running += 1
            most = max(most, running)
        try:
            time.sleep(0.2)
            return real_apply(out_dir, teach_dir)
        finally:
            with guard:
                running -= 1

    monkeypatch.setattr(session_module, "apply_folder", slow_apply)
    out = build_image_folder(tmp_path)
    client = _client(out)
    csrf = _csrf(client)
    assert _decide(client, csrf, folder=0, index=6, action="reject").status_code == 200
    statuses: list[int] = []
    start = threading.Barrier(3)

    def click() -> None:
        start.wait()
        statuses.append(client.post("/api/apply", headers={"X-CSRF-Token": csrf}).status_code)

    threads = [threading.Thread(target=click) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [200, 200, 200]
    assert most == 1
    assert "UNGAR" not in (out / "transcript.txt").read_text(encoding="utf-8")
    assert (home / "protected.txt").read_text(encoding="utf-8").split() == ["UNGA"]
