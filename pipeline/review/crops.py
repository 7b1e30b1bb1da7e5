"""PNG crops of a word on its page image, with the whole line around it for context.

Crops are addressed by word index only; the page image is the transcript's own page source
(``PageRef.source``), so no client-supplied path is ever opened. Page images and PNG crops
are cached in memory.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import InputError, PipelineError
from pipeline.records import Box, PageInfo, PageRef, Transcript, TranscriptWord

if TYPE_CHECKING:
    from PIL import Image

MAX_WIDTH = 1200
"""Crops wider than this are scaled down (pixels)."""
PAD = 12
"""Margin around the line box (pixels of the page image)."""
_TEXT_SUFFIXES = frozenset({".txt"})


def line_box(words: list[TranscriptWord], word: TranscriptWord) -> Box | None:
    """Union of the boxes of the words on ``word``'s page line (``None`` without boxes)."""
    if word.box is None:
        return None
    boxes = [
        w.box for w in words if w.box is not None and w.page == word.page and w.line == word.line
    ] or [word.box]
    left = min(b.left for b in boxes)
    top = min(b.top for b in boxes)
    right = max(b.right for b in boxes)
    bottom = max(b.bottom for b in boxes)
    return Box(left, top, right - left, bottom - top)


class CropCache:
    """Crops for the words of one transcript.

    Args:
        transcript: the transcript whose words are cropped.
        base_dir: folder that relative page sources are also looked up in (the output
            folder); sources are tried as given (relative to the current folder) first.
        max_pages: decoded page images kept in memory.
        max_crops: PNG crops kept in memory.
    """

    def __init__(
        self, transcript: Transcript, base_dir: Path, max_pages: int = 4, max_crops: int = 512
    ) -> None:
        self._words = {word.index: word for word in transcript.words}
        self._all = list(transcript.words)
        self._pages: Mapping[PageRef, PageInfo] = {info.ref: info for info in transcript.pages}
        self._base = base_dir
        self._max_pages = max_pages
        self._max_crops = max_crops
        self._images: OrderedDict[PageRef, Image.Image] = OrderedDict()
        self._crops: OrderedDict[int, bytes | None] = OrderedDict()
        self._lock = threading.Lock()

    def page_path(self, ref: PageRef) -> Path | None:
        """The image file of a page, or ``None`` (text input, or the file is gone)."""
        source = Path(ref.source)
        candidates = [source] if source.is_absolute() else [source, self._base / source]
        for path in candidates:
            if path.suffix.lower() in _TEXT_SUFFIXES:
                return None
            if path.is_file():
                return path
        return None

    def has_image(self, index: int) -> bool:
        """True when the word has a box and its page image can be found."""
        word = self._words.get(index)
        if word is None or word.box is None or word.page is None:
            return False
        return self.page_path(word.page) is not None

    def _page_image(self, ref: PageRef, path: Path) -> Image.Image:
        cached = self._images.get(ref)
        if cached is not None:
            self._images.move_to_end(ref)
            return cached
        from PIL import Image

        from pipeline.config import IngestConfig
        from pipeline.ingest import load_page_image, spec_for

        info = self._pages.get(ref)
        config = IngestConfig(dpi=info.dpi) if info is not None and info.dpi > 0 else IngestConfig()
        spec = spec_for(PageRef(str(path), ref.page_number, ref.index))
        pixels, _dpi = load_page_image(spec, config)
        if pixels.ndim == 3:
            image = Image.fromarray(pixels[:, :, ::-1].copy(), "RGB")
        else:
            image = Image.fromarray(pixels, "L").convert("RGB")
        self._images[ref] = image
        while len(self._images) > self._max_pages:
            self._images.popitem(last=False)
        return image

    def _render(self, word: TranscriptWord) -> bytes | None:
        from PIL import ImageDraw

        if word.box is None or word.page is None:
            return None
        path = self.page_path(word.page)
        if path is None:
            return None
        image = self._page_image(word.page, path)
        info = self._pages.get(word.page)
        sx = sy = 1.0
        if info is not None and info.width > 0 and info.height > 0:
            sx, sy = image.width / info.width, image.height / info.height
        line = line_box(self._all, word)
        assert line is not None
        left = max(0, int(line.left * sx) - PAD)
        top = max(0, int(line.top * sy) - PAD)
        right = min(image.width, int(line.right * sx) + PAD)
        bottom = min(image.height, int(line.bottom * sy) + PAD)
        if right <= left or bottom <= top:
            return None
        crop = image.crop((left, top, right, bottom))
        draw = ImageDraw.Draw(crop)
        box = word.box
        draw.rectangle(
            (
                int(box.left * sx) - left - 2,
                int(box.top * sy) - top - 2,
                int(box.right * sx) - left + 2,
                int(box.bottom * sy) - top + 2,
            ),
            outline=(220, 30, 30),
            width=2,
        )
        if crop.width > MAX_WIDTH:
            crop = crop.resize((MAX_WIDTH, max(1, round(crop.height * MAX_WIDTH / crop.width))))
        out = io.BytesIO()
        crop.save(out, format="PNG", optimize=False)
        return out.getvalue()

    def crop_png(self, index: int) -> bytes | None:
        """PNG bytes of word ``index``'s line with the word outlined, or ``None`` (no image).

        Raises:
            InputError: the page image exists but cannot be read.
        """
        with self._lock:
            if index in self._crops:
                self._crops.move_to_end(index)
                return self._crops[index]
            word = self._words.get(index)
            if word is None:
                return None
            try:
                data = self._render(word)
            except PipelineError:
                raise
            except (OSError, ValueError) as exc:
                raise InputError(
                    f"{word.page.source if word.page else '?'}: cannot crop ({exc})"
                ) from exc
            self._crops[index] = data
            while len(self._crops) > self._max_crops:
                self._crops.popitem(last=False)
            return data
