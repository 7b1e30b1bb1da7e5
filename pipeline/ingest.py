"""Stage 0: input files -> page specifications and page images.

``discover_pages`` validates every input before any page is read, so a bad file fails the
run at once with one line naming it. Formats are recognized by content, not by suffix:
PDF (rasterized with poppler one page at a time), TIFF (every frame is a page), PNG, JPEG,
BMP, a folder of page images (natural order: ``page2`` before ``page10``) and a UTF-8 ``.txt``
transcript (one page).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pipeline.config import IngestConfig
from pipeline.errors import InputError, MissingDependencyError
from pipeline.records import PageRef

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

PageKind = Literal["pdf", "tiff", "image", "text"]
MIN_SIDE = 100
"""Images smaller than this many pixels on a side are refused."""
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"})
"""Files picked up from an input folder."""
_POPPLER_FIX = "install poppler (apt-get install poppler-utils)"


@dataclass(frozen=True, slots=True)
class PageSpec:
    """One page to read: where it is and what kind of file holds it."""

    ref: PageRef
    kind: PageKind
    """``pdf``, ``tiff``, ``image`` (PNG/JPEG/BMP) or ``text``."""


def sniff_kind(path: Path) -> PageKind | None:
    """The kind of a file from its first bytes (``.txt`` suffix for text); ``None`` if unknown."""
    with path.open("rb") as handle:
        head = handle.read(1024)
    if head.startswith(b"%PDF") or b"%PDF-" in head:
        return "pdf"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"BM")):
        return "image"
    if path.suffix.lower() == ".txt" and b"\x00" not in head:
        return "text"
    return None


def natural_key(path: Path) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders ``page2`` before ``page10``."""
    parts = re.split(r"(\d+)", path.name.lower())
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts if p)


def _set_pixel_limit(config: IngestConfig) -> None:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = int(config.max_megapixels * 1_000_000)


def _open_image(path: Path, config: IngestConfig) -> Image.Image:
    """Open an image lazily, refusing decompression bombs and unreadable files."""
    from PIL import Image, UnidentifiedImageError

    _set_pixel_limit(config)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InputError(
            f"{path}: image is larger than {config.max_megapixels:g} megapixels; "
            "downscale it or raise ingest.max_megapixels"
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        msg = f"{path}: unreadable or corrupt image ({exc}); re-export the scan"
        raise InputError(msg) from exc
    return image


def _check_size(path: Path, width: int, height: int, config: IngestConfig) -> None:
    if width * height >= config.max_megapixels * 1_000_000:
        raise InputError(
            f"{path}: image is {width}x{height} (>= {config.max_megapixels:g} megapixels); "
            "downscale it or raise ingest.max_megapixels"
        )
    if min(width, height) < MIN_SIDE:
        raise InputError(f"{path}: image is only {width}x{height} pixels; scan the page at 300 dpi")


def _page_range(path: Path, count: int, config: IngestConfig) -> range:
    first = config.first_page or 1
    last = min(config.last_page or count, count)
    if first > count:
        raise InputError(f"{path}: has {count} page(s), first page {first} is past the end")
    return range(first, last + 1)


def _pdf_page_count(path: Path) -> int:
    from pdf2image import pdfinfo_from_path
    from pdf2image.exceptions import PDFInfoNotInstalledError, PDFPageCountError

    try:
        info = pdfinfo_from_path(str(path))
    except PDFInfoNotInstalledError as exc:
        raise MissingDependencyError(f"{path}: reading PDFs needs poppler; {_POPPLER_FIX}") from exc
    except PDFPageCountError as exc:
        text = str(exc).lower()
        if "password" in text or "encrypt" in text:
            raise InputError(
                f"{path}: PDF is encrypted; decrypt it first (qpdf --decrypt in.pdf out.pdf)"
            ) from exc
        raise InputError(f"{path}: PDF is truncated or corrupt; re-export or repair it") from exc
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: PDF is truncated or corrupt; re-export or repair it") from exc
    pages = int(info.get("Pages", 0) or 0)
    if pages < 1:
        raise InputError(f"{path}: PDF has no pages; re-export or repair it")
    return pages


def _file_pages(path: Path, index: int, config: IngestConfig) -> list[PageSpec]:
    """Validate one file and list its pages, numbering them from ``index``."""
    if not path.exists():
        raise InputError(f"{path}: file not found; check the path")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: file is empty (0 bytes); re-export the scan")
    kind = sniff_kind(path)
    if kind is None:
        raise InputError(
            f"{path}: unsupported format; give a PDF, TIFF, PNG, JPEG, BMP or .txt transcript"
        )
    # absolute, so outputs can find the page again from any working directory
    source = str(path.resolve())
    if kind == "text":
        try:
            path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: transcript is not UTF-8 text; convert it to UTF-8") from exc
        return [PageSpec(PageRef(source, 1, index), "text")]
    if kind == "pdf":
        numbers = _page_range(path, _pdf_page_count(path), config)
    else:
        image = _open_image(path, config)
        with image:
            _check_size(path, image.width, image.height, config)
            frames = int(getattr(image, "n_frames", 1)) if kind == "tiff" else 1
        numbers = _page_range(path, frames, config) if kind == "tiff" else range(1, 2)
    return [PageSpec(PageRef(source, n, index + i), kind) for i, n in enumerate(numbers)]


def discover_pages(inputs: Sequence[Path], config: IngestConfig) -> list[PageSpec]:
    """List every page of the inputs in order, validating all inputs first.

    Args:
        inputs: PDFs, TIFFs, page images, folders of page images, or ``.txt`` transcripts.
        config: ingest settings (page range, size limit).

    Returns:
        One ``PageSpec`` per page; ``ref.index`` counts pages across all inputs.

    Raises:
        InputError: an input is missing, empty, corrupt, encrypted, unsupported or too
            small/large, or a folder holds no page images.
        MissingDependencyError: a PDF needs poppler and it is not installed.
    """
    if not inputs:
        raise InputError("no input given; name a PDF, image, folder or .txt transcript")
    specs: list[PageSpec] = []
    for path in inputs:
        try:
            specs.extend(_input_pages(path, len(specs), config))
        except OSError as exc:
            raise InputError(
                f"{path}: cannot read ({exc.strerror or exc}); check permissions"
            ) from exc
    return specs


def _input_pages(path: Path, index: int, config: IngestConfig) -> list[PageSpec]:
    """Pages of one input: a file, or a folder of page images."""
    if not path.is_dir():
        return _file_pages(path, index, config)
    files = sorted(
        (p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
        key=natural_key,
    )
    if not files:
        raise InputError(f"{path}: folder holds no page images (png, jpg, tif, bmp)")
    specs: list[PageSpec] = []
    for file in files:
        specs.extend(_file_pages(file, index + len(specs), config))
    return specs


def spec_for(ref: PageRef) -> PageSpec:
    """The ``PageSpec`` for a page reference, with the kind read from the file.

    Raises:
        InputError: the file is missing or of an unsupported format.
    """
    path = Path(ref.source)
    if not path.is_file():
        raise InputError(f"{path}: file not found; check the path")
    kind = sniff_kind(path)
    if kind is None:
        raise InputError(f"{path}: unsupported format; give a PDF, TIFF, PNG, JPEG or BMP")
    return PageSpec(ref, kind)


def _to_array(image: Image.Image) -> np.ndarray:
    """8-bit grayscale (2-D) or BGR (3-D) array of a Pillow image."""
    import numpy as np

    if image.mode == "L":
        return np.asarray(image, dtype=np.uint8).copy()
    if image.mode.startswith("I;16"):
        return (np.asarray(image, dtype=np.uint16) >> 8).astype(np.uint8)
    if image.mode in ("1", "LA", "I", "F"):
        return np.asarray(image.convert("L"), dtype=np.uint8).copy()
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    return np.ascontiguousarray(rgb[:, :, ::-1])


def _file_dpi(image: Image.Image) -> int | None:
    dpi = image.info.get("dpi")
    if isinstance(dpi, tuple) and dpi:
        try:
            value = round(float(dpi[0]))
        except (TypeError, ValueError):
            return None
        return value if 50 <= value <= 2400 else None
    return None


def read_page_image(spec: PageSpec, config: IngestConfig) -> tuple[np.ndarray, int | None]:
    """Load one page as an 8-bit grayscale or BGR array, with the DPI stored in the file.

    Returns:
        The pixels and the file's DPI, or ``None`` when the file has no usable DPI tag (PDFs
        report the rasterization DPI).

    Raises:
        InputError: the page cannot be decoded.
        MissingDependencyError: poppler is missing.
    """
    path = Path(spec.ref.source)
    if spec.kind == "text":
        raise InputError(f"{path}: a text transcript has no page image")
    if spec.kind == "pdf":
        from pdf2image import convert_from_path
        from pdf2image.exceptions import PDFInfoNotInstalledError, PDFPageCountError

        try:
            images = convert_from_path(
                str(path),
                dpi=config.dpi,
                first_page=spec.ref.page_number,
                last_page=spec.ref.page_number,
                grayscale=True,
                thread_count=1,
            )
        except PDFInfoNotInstalledError as exc:
            msg = f"{path}: reading PDFs needs poppler; {_POPPLER_FIX}"
            raise MissingDependencyError(msg) from exc
        except (PDFPageCountError, OSError, ValueError) as exc:
            raise InputError(f"{path}: page {spec.ref.page_number} cannot be rasterized") from exc
        if not images:
            raise InputError(f"{path}: page {spec.ref.page_number} cannot be rasterized")
        return _to_array(images[0]), config.dpi
    from PIL import ImageOps

    image = _open_image(path, config)
    with image:
        try:
            if spec.kind == "tiff":
                image.seek(spec.ref.page_number - 1)
            _check_size(path, image.width, image.height, config)
            dpi = _file_dpi(image)
            image.load()
            turned = spec.kind == "image" and image.getexif().get(0x0112, 1) != 1
            upright = ImageOps.exif_transpose(image) if turned else image
            return _to_array(upright), dpi
        except EOFError as exc:
            raise InputError(f"{path}: has no page {spec.ref.page_number}") from exc
        except (OSError, SyntaxError, ValueError) as exc:
            raise InputError(f"{path}: truncated or corrupt image ({exc}); re-export it") from exc


def load_page_image(spec: PageSpec, config: IngestConfig) -> tuple[np.ndarray, int]:
    """Load one page as an 8-bit grayscale or BGR array with its DPI.

    Images without a DPI tag get ``config.dpi`` (the caller warns about it).
    """
    pixels, dpi = read_page_image(spec, config)
    return pixels, dpi or config.dpi
