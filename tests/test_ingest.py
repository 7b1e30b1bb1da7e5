from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.config import IngestConfig
from pipeline.errors import InputError, MissingDependencyError
from pipeline.ingest import (
    PageSpec,
    discover_pages,
    load_page_image,
    natural_key,
    read_page_image,
    sniff_kind,
    spec_for,
)
from pipeline.records import PageRef

CONFIG = IngestConfig()


def _pages(n: int, size: tuple[int, int] = (300, 400)) -> list[Image.Image]:
    return [Image.new("L", size, 255 - 10 * i) for i in range(n)]


def _pdf(path: Path, n: int = 3) -> Path:
    first, *rest = _pages(n)
    first.save(path, save_all=True, append_images=rest, resolution=100)
    return path


def _png_header(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims ``width`` x ``height`` (1-bit) with a dummy image chunk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0"))
    path.write_bytes(data + chunk(b"IEND", b""))
    return path


def test_pdf_pages_and_range(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "scan.pdf", 4)
    specs = discover_pages([pdf], CONFIG)
    assert [(s.ref.page_number, s.ref.index, s.kind) for s in specs] == [
        (1, 0, "pdf"),
        (2, 1, "pdf"),
        (3, 2, "pdf"),
        (4, 3, "pdf"),
    ]
    ranged = discover_pages([pdf], IngestConfig(first_page=2, last_page=3))
    assert [s.ref.page_number for s in ranged] == [2, 3]
    with pytest.raises(InputError, match="first page 9"):
        discover_pages([pdf], IngestConfig(first_page=9))


def test_pdf_page_rasterized_alone_in_grayscale(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "scan.pdf", 3)
    pixels, dpi = load_page_image(PageSpec(PageRef(str(pdf), 2, 1), "pdf"), IngestConfig(dpi=100))
    assert dpi == 100 and pixels.ndim == 2 and pixels.dtype == np.uint8
    assert pixels.shape == (400, 300)
    assert int(np.median(pixels)) == 245  # page 2 of the fixture is grey 245


def test_multipage_tiff_and_mixed_inputs(tmp_path: Path) -> None:
    tif = tmp_path / "pages.tif"
    first, *rest = _pages(3)
    first.save(tif, save_all=True, append_images=rest)
    txt = tmp_path / "cable.txt"
    txt.write_text("HELLO\n", encoding="utf-8")
    specs = discover_pages([tif, txt], CONFIG)
    assert [(s.kind, s.ref.page_number, s.ref.index) for s in specs] == [
        ("tiff", 1, 0),
        ("tiff", 2, 1),
        ("tiff", 3, 2),
        ("text", 1, 3),
    ]
    pixels, _ = read_page_image(specs[2], CONFIG)
    assert int(pixels[0, 0]) == 235


def test_folder_is_natural_sorted(tmp_path: Path) -> None:
    folder = tmp_path / "scans"
    folder.mkdir()
    for name in ("page10.png", "page2.png", "page1.png"):
        _pages(1)[0].save(folder / name)
    (folder / "notes.md").write_text("not a page", encoding="utf-8")
    specs = discover_pages([folder], CONFIG)
    assert [Path(s.ref.source).name for s in specs] == ["page1.png", "page2.png", "page10.png"]
    assert [s.ref.index for s in specs] == [0, 1, 2]
    assert sorted(["p10", "p9", "p1"], key=lambda n: natural_key(Path(n))) == ["p1", "p9", "p10"]


def test_image_dpi_and_color(tmp_path: Path) -> None:
    tagged = tmp_path / "tagged.png"
    Image.new("RGB", (200, 200), (10, 20, 30)).save(tagged, dpi=(200, 200))
    pixels, dpi = read_page_image(spec_for(PageRef(str(tagged), 1)), CONFIG)
    assert dpi == 200
    assert pixels.shape == (200, 200, 3) and tuple(pixels[0, 0]) == (30, 20, 10)  # BGR
    untagged = tmp_path / "untagged.jpg"
    Image.new("L", (200, 200), 128).save(untagged)
    assert read_page_image(spec_for(PageRef(str(untagged), 1)), CONFIG)[1] is None
    assert load_page_image(spec_for(PageRef(str(untagged), 1)), CONFIG)[1] == 300


def test_sniffing_ignores_suffix(tmp_path: Path) -> None:
    disguised = tmp_path / "scan.pdf"
    Image.new("L", (200, 200), 255).save(disguised, format="PNG")
    assert sniff_kind(disguised) == "image"
    assert discover_pages([disguised], CONFIG)[0].kind == "image"


# ----------------------------------------------------------------------------- bad inputs


def _refused(path: Path, match: str, config: IngestConfig = CONFIG) -> str:
    with pytest.raises(InputError, match=match) as info:
        discover_pages([path], config)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


def test_missing_file(tmp_path: Path) -> None:
    _refused(tmp_path / "missing.pdf", "not found")


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.touch()
    _refused(path, "empty")


def test_truncated_pdf(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "full.pdf")
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(pdf.read_bytes()[:300])
    _refused(cut, "truncated or corrupt")


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf is not installed")
def test_encrypted_pdf(tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "plain.pdf")
    locked = tmp_path / "locked.pdf"
    subprocess.run(
        ["qpdf", "--encrypt", "secret", "owner", "256", "--", str(pdf), str(locked)], check=True
    )
    _refused(locked, "encrypted")


def test_unsupported_format(tmp_path: Path) -> None:
    path = tmp_path / "page.png"
    path.write_bytes(b"PK\x03\x04 this is a zip archive, not an image")
    _refused(path, "unsupported format")
    doc = tmp_path / "notes.docx"
    doc.write_text("plain text with the wrong suffix", encoding="utf-8")
    _refused(doc, "unsupported format")


def test_tiny_image(tmp_path: Path) -> None:
    path = tmp_path / "dot.png"
    Image.new("L", (1, 1), 0).save(path)
    _refused(path, "only 1x1")


def test_huge_image_is_refused_without_decoding(tmp_path: Path) -> None:
    _refused(_png_header(tmp_path / "bomb.png", 30000, 30000), "megapixels")
    _refused(_png_header(tmp_path / "big.png", 10001, 10001), "megapixels")
    small_limit = IngestConfig(max_megapixels=1.0)
    path = tmp_path / "ok.png"
    Image.new("1", (1200, 1000), 1).save(path)
    _refused(path, "megapixels", small_limit)


def test_empty_folder(tmp_path: Path) -> None:
    folder = tmp_path / "nothing"
    folder.mkdir()
    _refused(folder, "no page images")


def test_corrupt_image_data_fails_on_load(tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (300, 300), np.uint8)).save(good)
    cut = tmp_path / "cut.png"
    cut.write_bytes(good.read_bytes()[:2000])
    spec = discover_pages([cut], CONFIG)[0]
    with pytest.raises(InputError, match="corrupt"):
        read_page_image(spec, CONFIG)


def test_missing_poppler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pdf = _pdf(tmp_path / "scan.pdf")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingDependencyError, match="poppler"):
        discover_pages([pdf], CONFIG)


def test_make_page_fixture_is_readable(make_page: Callable[..., Path]) -> None:
    path = make_page("p.png", dpi=None)
    pixels, dpi = read_page_image(spec_for(PageRef(str(path), 1)), CONFIG)
    assert dpi is None and pixels.shape == (1650, 1275)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    pixels = np.full((200, 300), 255, np.uint8)
    pixels[:20, :20] = 0  # dark corner at top left
    path = tmp_path / "turned.jpg"
    exif = Image.Exif()
    exif[0x0112] = 3  # stored upside down
    Image.fromarray(pixels).save(path, exif=exif, quality=95)
    loaded, _ = read_page_image(spec_for(PageRef(str(path), 1)), CONFIG)
    assert loaded.shape == (200, 300)
    assert loaded[-10:, -10:].mean() < 60 and loaded[:10, :10].mean() > 200
