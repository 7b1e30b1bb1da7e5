"""Finding cables in an archive tree: kinds, grouping, loops, unreadable folders, hashes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from pipeline.batch.discover import (
    cable_id_of,
    content_hash,
    discover_cables,
    id_slug,
    stat_signature,
)
from pipeline.errors import InputError
from pipeline.records import OcrPage, OcrWord, PageRef


def _tiff(path: Path, frames: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    images = [Image.new("L", (200, 200), 255) for _ in range(frames)]
    images[0].save(path, save_all=True, append_images=images[1:])
    return path


def _png(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", (200, 200), 255).save(path)
    return path


def _write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    return path


def test_kinds_and_mirrored_names(tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    _write(arch / "box1" / "folder2" / "cable.pdf", b"%PDF-1.4 whatever")
    _tiff(arch / "box1" / "multi.tif", 3)
    _write(arch / "notes.txt", "PAGE 01 STATE 000001 01 OF 01\n")
    _png(arch / "box2" / "scans" / "page10.png")
    _png(arch / "box2" / "scans" / "page2.png")
    _tiff(arch / "box2" / "scans" / "page3.tif", 1)  # one frame: a page image
    _write(arch / "box2" / "scans" / "readme.md", "ignored")
    found = discover_cables(arch)
    by_key = {u.key: u for u in found.units}
    assert set(by_key) == {"box1/folder2/cable.pdf", "box1/multi.tif", "notes.txt", "box2/scans/"}
    assert by_key["box1/folder2/cable.pdf"].kind == "pdf"
    assert by_key["box1/folder2/cable.pdf"].out_name == "box1/folder2/cable"
    assert by_key["box1/multi.tif"].kind == "tiff"
    assert by_key["notes.txt"].kind == "text"
    folder = by_key["box2/scans/"]
    assert folder.kind == "images"
    assert folder.out_name == "box2/scans"
    assert [p.name for p in folder.inputs] == ["page2.png", "page3.tif", "page10.png"]
    assert not found.problems


def test_colliding_and_nested_names_are_separated(tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    _write(arch / "a" / "b.pdf", b"%PDF-1.4 one")
    _write(arch / "a" / "b.txt", "two")
    _png(arch / "a" / "b" / "p1.png")  # folder cable a/b collides with both files
    _png(arch / "c" / "p1.png")
    _write(arch / "c" / "d.txt", "inside c")  # c's page images: output folder holds c/d
    units = {u.key: u.out_name for u in discover_cables(arch).units}
    names = list(units.values())
    assert len(set(names)) == len(names)
    for name in names:
        assert not any(other.startswith(name + "/") for other in names), name
    assert units["a/b.pdf"] == "a/b_pdf"
    assert units["a/b.txt"] == "a/b_txt"
    assert units["a/b/"] == "a/b/_pages"
    assert units["c/"] == "c/_pages"
    assert units["c/d.txt"] == "c/d"


def test_symlink_loop_is_visited_once(tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    _write(arch / "x" / "one.txt", "text")
    (arch / "x" / "loop").symlink_to(arch)
    found = discover_cables(arch)
    assert [u.key for u in found.units] == ["x/one.txt"]
    assert any("loop" in note for note in found.notes)


def test_unreadable_folder_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    _write(arch / "ok" / "one.txt", "text")
    _write(arch / "locked" / "two.txt", "text")
    real = os.scandir

    def scandir(path: Path) -> object:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    found = discover_cables(arch, scandir=scandir)  # type: ignore[arg-type]
    assert [u.key for u in found.units] == ["ok/one.txt"]
    assert [(p.key, p.reason) for p in found.problems] == [
        ("locked/", "cannot read folder (Permission denied)")
    ]


def test_output_folder_inside_archive_is_skipped(tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    _write(arch / "one.txt", "text")
    _write(arch / "out" / "one" / "transcript.txt", "old output")
    found = discover_cables(arch, exclude=[arch / "out"])
    assert [u.key for u in found.units] == ["one.txt"]


def test_missing_archive_raises(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a folder"):
        discover_cables(tmp_path / "nope")


def test_same_content_same_hash_and_touch_changes_only_stat(tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    _write(arch / "a.txt", "same cable")
    _write(arch / "sub" / "renamed.txt", "same cable")
    _write(arch / "c.txt", "other cable")
    units = {u.key: u for u in discover_cables(arch).units}
    assert content_hash(units["a.txt"]) == content_hash(units["sub/renamed.txt"])
    assert content_hash(units["a.txt"]) != content_hash(units["c.txt"])
    before = stat_signature(units["a.txt"])
    os.utime(arch / "a.txt", ns=(1, 1))
    assert stat_signature(units["a.txt"]) != before


def _page(*lines: str) -> OcrPage:
    words = tuple(
        OcrWord(token, 0.9, None, number)
        for number, line in enumerate(lines)
        for token in line.split()
    )
    return OcrPage(PageRef("x.png", 1), words)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (("SECRET", "PAGE 01 MOSCOW 04648 01 OF 07 221603Z"), "MOSCOW 04648"),
        (("PAGE 02 STATE O12345 01 OF 02",), "STATE 012345"),  # OCR read 0 as O
        (("PAGE 03 USUN NEW YORK 01234 02 OF 03",), "USUN NEW YORK 01234"),
        (("CONFIDENTIAL", "NO PAGE LINE HERE"), None),
        (tuple(["filler"] * 8) + ("PAGE 01 MOSCOW 04648 01 OF 07",), None),  # too far down
    ],
)
def test_cable_id_of(lines: tuple[str, ...], expected: str | None) -> None:
    assert cable_id_of(_page(*lines)) == expected


def test_id_slug() -> None:
    assert id_slug("MOSCOW 04648") == "MOSCOW_04648"
    assert id_slug("USUN NEW YORK 01234") == "USUN_NEW_YORK_01234"


def test_renamed_output_folder_never_reuses_a_taken_name(tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    _write(arch / "box" / "a.txt", "one")
    _write(arch / "box" / "a.pdf", b"%PDF-1.4 two")  # box/a.txt must move: box/a_txt ...
    _write(arch / "box" / "a_txt.txt", "three")  # ... which this one already uses
    units = {u.key: u.out_name for u in discover_cables(arch).units}
    assert units == {
        "box/a.pdf": "box/a_pdf",
        "box/a.txt": "box/a_txt_2",
        "box/a_txt.txt": "box/a_txt",
    }


def test_renamed_names_stay_unique_and_unnested(tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    _write(arch / "a" / "b.pdf", b"%PDF-1.4 one")
    _write(arch / "a" / "b.txt", "two")  # -> a/b_txt, the folder of the two below
    _write(arch / "a" / "b_txt.pdf", b"%PDF-1.4 three")
    _png(arch / "a" / "b_txt" / "p1.png")
    _write(arch / "a" / "b_txt" / "c.txt", "four")
    _write(arch / "a" / "b_txt" / "c.pdf", b"%PDF-1.4 five")
    names = [u.out_name for u in discover_cables(arch).units]
    assert len(names) == 6
    assert len(set(names)) == len(names)
    for name in names:
        assert not any(other.startswith(name + "/") for other in names), (name, names)


def test_cable_id_of_page_line_inside_a_longer_line() -> None:
    page = _page("CONFIDENTIAL", "ll: 7 PAGE 01 MOSCOW O4648 01 OF 07 221603Z")
    assert cable_id_of(page) == "MOSCOW 04648"
